"use client";
// Approvals from Slack: the Slack app's signing secret (without it, messages carry no buttons) and its optional
// bot token. Both are secrets: the server only says whether each is set, and where from.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { slackAppSettingsSchema } from "@/server/domain/notification-channels";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, FieldError, inputClass, Skeleton } from "../ui";
import { formText } from "./form-text";

type SecretName = "signingSecret" | "botToken";
const secretLabels: Record<SecretName, string> = { signingSecret: "Signing secret", botToken: "Bot token" };

export function SlackAppSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = { secret: useId(), token: useId(), secretHelp: useId(), tokenHelp: useId() };
  const app = useQuery(trpc.notifications.slackApp.queryOptions());
  const save = useMutation(trpc.notifications.configureSlackApp.mutationOptions());
  const clear = useMutation(
    trpc.notifications.clearSlackAppSecret.mutationOptions({
      onError: (error) => toast(error.message, "error"),
    }),
  );
  const [issues, setIssues] = useState<Issues>({});
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.notifications.slackApp.queryKey() });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const input = {
      signingSecret: formText(form, "signingSecret").trim(),
      botToken: formText(form, "botToken").trim(),
    };
    const checked = slackAppSettingsSchema.safeParse(input);
    const local: Issues = {};
    if (!checked.success) {
      for (const issue of checked.error.issues) local[String(issue.path[0] ?? "_")] ??= issue.message;
    }
    if (!input.signingSecret && !input.botToken)
      local.signingSecret ??= "Enter the signing secret, the bot token or both";
    if (Object.keys(local).length > 0) {
      setIssues(local);
      return;
    }
    try {
      await save.mutateAsync(input);
      setIssues({});
      formElement.reset();
      toast("Slack app saved");
      await invalidate();
    } catch (thrown) {
      const server = issuesOf(thrown);
      setIssues(Object.keys(server).length > 0 ? server : { _: (thrown as Error).message });
    }
  }

  async function remove(secret: SecretName) {
    await clear.mutateAsync({ secret });
    toast(`${secretLabels[secret]} removed`);
    await invalidate();
  }

  const describedBy = (help: string, field: string) =>
    [help, issues[field] ? `${help}-error` : null].filter(Boolean).join(" ");

  return (
    <section aria-labelledby="slack-app-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="slack-app-heading" className="text-lg font-medium">
        Approvals from Slack
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        With a Slack app&apos;s signing secret, messages about a rollback awaiting approval carry Approve and Reject
        buttons. A click acts as the Rewind user linked to the Slack user, with the same roles and rules as the
        dashboard. Set the app&apos;s Interactivity Request URL to{" "}
        <span className="font-mono">{`<Rewind's URL>${app.data?.requestPath ?? "/api/integrations/slack/interactions"}`}</span>
        .
      </p>
      <div className="mt-3">
        {app.isPending ? (
          <Skeleton className="h-6 w-64" label="Loading the Slack app settings" />
        ) : app.isError ? (
          <Alert>Could not load the Slack app settings: {app.error.message}</Alert>
        ) : (
          <dl className="grid grid-cols-[auto_1fr] items-center gap-x-3 gap-y-2 text-sm">
            {(["signingSecret", "botToken"] as const).map((name) => {
              const secret = app.data[name];
              return (
                <div key={name} className="contents">
                  <dt className="font-medium">{secretLabels[name]}</dt>
                  <dd className="flex flex-wrap items-center gap-2">
                    <Badge tone={secret.state === "set" ? "good" : "neutral"}>{secret.state}</Badge>
                    {secret.fromEnvironment ? (
                      <span className="text-slate-600">
                        from {name === "signingSecret" ? "SLACK_SIGNING_SECRET" : "SLACK_BOT_TOKEN"}
                      </span>
                    ) : secret.state === "set" ? (
                      <Button tone="secondary" disabled={clear.isPending} onClick={() => void remove(name)}>
                        Remove
                      </Button>
                    ) : null}
                  </dd>
                </div>
              );
            })}
          </dl>
        )}
      </div>
      <form
        noValidate
        aria-label="Slack app settings"
        onSubmit={(event) => void onSubmit(event)}
        className="mt-4 space-y-3"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        <div>
          <label htmlFor={ids.secret} className="block text-sm font-medium">
            Signing secret
          </label>
          <input
            id={ids.secret}
            name="signingSecret"
            type="password"
            autoComplete="off"
            spellCheck={false}
            className={`mt-1 font-mono ${inputClass}`}
            aria-invalid={Boolean(issues.signingSecret)}
            aria-describedby={describedBy(ids.secretHelp, "signingSecret")}
          />
          <p id={ids.secretHelp} className="mt-1 text-xs text-slate-600">
            Basic Information → App Credentials in the Slack app&apos;s settings. Leave empty to keep the current one.
          </p>
          <FieldError id={`${ids.secretHelp}-error`} message={issues.signingSecret} />
        </div>
        <div>
          <label htmlFor={ids.token} className="block text-sm font-medium">
            Bot token (optional)
          </label>
          <input
            id={ids.token}
            name="botToken"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="xoxb-…"
            className={`mt-1 font-mono ${inputClass}`}
            aria-invalid={Boolean(issues.botToken)}
            aria-describedby={describedBy(ids.tokenHelp, "botToken")}
          />
          <p id={ids.tokenHelp} className="mt-1 text-xs text-slate-600">
            With the users:read and users:read.email scopes, Rewind links a Slack user who has not linked themselves to
            the Rewind user with the same confirmed email. Leave empty to keep the current one.
          </p>
          <FieldError id={`${ids.tokenHelp}-error`} message={issues.botToken} />
        </div>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </form>
    </section>
  );
}
