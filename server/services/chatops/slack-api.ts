// The two calls approvals from Slack make to Slack: Web API users.info (with the bot token, to find a
// clicking user's verified email) and a POST to a click's response_url (to replace the message clicked or
// answer the clicker alone). 5 s timeouts, no redirects followed; tokens and response URLs are never logged.
import "server-only";
import { log } from "../platform/log";
import { z } from "zod";

export interface SlackHttp {
  /** `fetch`, replaceable in tests. */
  fetch: typeof fetch;
}

const defaultHttp: SlackHttp = { fetch: (...args) => fetch(...args) };

const usersInfoSchema = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  user: z
    .object({
      id: z.string(),
      deleted: z.boolean().optional(),
      is_bot: z.boolean().optional(),
      is_app_user: z.boolean().optional(),
      is_email_confirmed: z.boolean().optional(),
      profile: z.object({ email: z.string().optional() }).optional(),
    })
    .optional(),
});

/**
 * The email of a Slack user that Slack vouches for: a person (not a bot or app user, not deactivated) whose
 * email is confirmed. Null otherwise, or when Slack does not answer (the click is then refused as unlinked).
 */
export async function verifiedSlackEmail(
  options: { apiUrl: string; botToken: string; slackUserId: string },
  http: SlackHttp = defaultHttp,
): Promise<string | null> {
  const url = `${options.apiUrl}/users.info?${new URLSearchParams({ user: options.slackUserId })}`;
  let answer: z.infer<typeof usersInfoSchema>;
  try {
    const response = await http.fetch(url, {
      headers: { Authorization: `Bearer ${options.botToken}` },
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      log.warn("slack.users_info_failed", { status: response.status });
      return null;
    }
    const parsed = usersInfoSchema.safeParse(await response.json());
    if (!parsed.success) {
      log.warn("slack.users_info_failed", { reason: "unexpected body" });
      return null;
    }
    answer = parsed.data;
  } catch (error) {
    log.warn("slack.users_info_failed", { reason: error instanceof Error ? error.name : "error" });
    return null;
  }
  if (!answer.ok || !answer.user) {
    log.warn("slack.users_info_refused", { reason: answer.error ?? "no user" });
    return null;
  }
  const { user } = answer;
  if (user.id !== options.slackUserId || user.deleted || user.is_bot || user.is_app_user) return null;
  if (user.is_email_confirmed !== true) return null;
  const email = user.profile?.email?.trim().toLowerCase();
  return email ? email : null;
}

/** POSTs a message to a click's response_url; false (logged without the URL) when Slack did not take it. */
export async function postToResponseUrl(url: string, message: object, http: SlackHttp = defaultHttp): Promise<boolean> {
  try {
    const response = await http.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message),
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) log.warn("slack.response_failed", { status: response.status });
    return response.ok;
  } catch (error) {
    log.warn("slack.response_failed", { reason: error instanceof Error ? error.name : "error" });
    return false;
  }
}
