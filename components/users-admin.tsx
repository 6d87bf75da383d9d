"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { roleDescriptions, roles, type RoleName } from "@/server/domain/roles";
import { createUserSchema } from "@/server/domain/users";
import { ConfirmDialog } from "./confirm-dialog";
import { DataTable } from "./data-table";
import { issuesOf, type Issues } from "./form-errors";
import { useToast } from "./toast";
import { useTRPC } from "./trpc";
import { Alert, Button, FieldError, inputClass } from "./ui";

const roleLabel = (role: RoleName) => role.charAt(0) + role.slice(1).toLowerCase();

export function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const users = useQuery(trpc.users.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });

  const changeRole = useMutation(
    trpc.users.changeRole.mutationOptions({
      // The change ended their sessions: they sign in again, with the new role.
      onSuccess: (user) => toast(`${user.email} is now ${roleLabel(user.role).toLowerCase()} and must sign in again`),
      onError: (error) => toast(error.message, "error"),
      onSettled: invalidate,
    }),
  );
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({
      onSuccess: (user) => toast(`${user.email} ${user.disabled ? "disabled" : "enabled"}`),
      onError: (error) => toast(error.message, "error"),
      onSettled: invalidate,
    }),
  );

  return (
    <div className="grid gap-8 lg:grid-cols-[2fr_1fr]">
      <section aria-labelledby="users-heading">
        <h2 id="users-heading" className="mb-3 text-lg font-medium">
          Team members
        </h2>
        {users.isPending ? (
          <div aria-busy="true" aria-label="Loading users" className="space-y-2">
            {[0, 1, 2].map((row) => (
              <div key={row} className="h-12 animate-pulse rounded bg-slate-200" />
            ))}
          </div>
        ) : users.isError ? (
          <Alert>Could not load users: {users.error.message}</Alert>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <DataTable
              label="Team members"
              rows={users.data}
              rowKey={(user) => user.id}
              columns={[
                { id: "name", header: "Name", cell: (user) => user.name },
                { id: "email", header: "Email", cell: (user) => user.email },
                {
                  id: "role",
                  header: "Role",
                  cell: (user) => (
                    <>
                      <label className="sr-only" htmlFor={`role-${user.id}`}>
                        Role of {user.email}
                      </label>
                      <select
                        id={`role-${user.id}`}
                        value={user.role}
                        disabled={changeRole.isPending}
                        onChange={(event) =>
                          changeRole.mutate({ userId: user.id, role: event.target.value as RoleName })
                        }
                        className="rounded-md border border-slate-300 bg-white px-2 py-1"
                      >
                        {roles.map((role) => (
                          <option key={role} value={role}>
                            {roleLabel(role)}
                          </option>
                        ))}
                      </select>
                    </>
                  ),
                },
                {
                  id: "status",
                  header: "Status",
                  cell: (user) =>
                    user.disabled ? (
                      <span className="rounded bg-slate-200 px-1.5 py-0.5 text-xs">Disabled</span>
                    ) : (
                      <span className="rounded bg-emerald-100 px-1.5 py-0.5 text-xs text-emerald-800">Active</span>
                    ),
                },
                {
                  id: "actions",
                  header: "Actions",
                  hideHeader: true,
                  className: "text-right",
                  cell: (user) =>
                    user.id === currentUserId ? (
                      <span className="text-xs text-slate-500">You</span>
                    ) : user.disabled ? (
                      <Button
                        tone="secondary"
                        disabled={setDisabled.isPending}
                        onClick={() => setDisabled.mutate({ userId: user.id, disabled: false })}
                      >
                        Enable<span className="sr-only"> {user.email}</span>
                      </Button>
                    ) : (
                      <ConfirmDialog
                        trigger={
                          <Button tone="danger" disabled={setDisabled.isPending}>
                            Disable<span className="sr-only"> {user.email}</span>
                          </Button>
                        }
                        title={`Disable ${user.email}?`}
                        description={<p>They are signed out at once and cannot sign in until enabled again.</p>}
                        confirmLabel="Disable user"
                        tone="danger"
                        onConfirm={() => setDisabled.mutateAsync({ userId: user.id, disabled: true })}
                      />
                    ),
                },
              ]}
            />
          </div>
        )}
        <dl className="mt-4 grid gap-1 text-xs text-slate-600 sm:grid-cols-2">
          {roles.map((role) => (
            <div key={role}>
              <dt className="inline font-medium">{roleLabel(role)}:</dt>{" "}
              <dd className="inline">{roleDescriptions[role]}</dd>
            </div>
          ))}
        </dl>
      </section>
      <CreateUserForm onCreated={invalidate} />
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [issues, setIssues] = useState<Issues>({});
  const create = useMutation(trpc.users.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const parsed = createUserSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) {
      const next: Issues = {};
      for (const issue of parsed.error.issues) next[issue.path.join(".")] ??= issue.message;
      setIssues(next);
      return;
    }
    setIssues({});
    try {
      const user = await create.mutateAsync(parsed.data);
      toast(`Created ${user.email}`);
      formElement.reset();
      await onCreated();
    } catch (error) {
      const fieldIssues = issuesOf(error);
      setIssues(Object.keys(fieldIssues).length ? fieldIssues : { _: (error as Error).message });
    }
  }

  const field = (name: "name" | "email" | "password", label: string, type: string, autoComplete: string) => (
    <div>
      <label htmlFor={`new-${name}`} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      <input
        id={`new-${name}`}
        name={name}
        type={type}
        autoComplete={autoComplete}
        className={inputClass}
        aria-invalid={Boolean(issues[name])}
        aria-describedby={issues[name] ? `new-${name}-error` : undefined}
      />
      <FieldError id={`new-${name}-error`} message={issues[name]} />
    </div>
  );

  return (
    <section aria-labelledby="create-heading">
      <h2 id="create-heading" className="mb-3 text-lg font-medium">
        Add a user
      </h2>
      <form
        noValidate
        onSubmit={(event) => void onSubmit(event)}
        className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        {field("name", "Name", "text", "off")}
        {field("email", "Email", "email", "off")}
        <div>
          <label htmlFor="new-role" className="mb-1 block text-sm font-medium">
            Role
          </label>
          <select id="new-role" name="role" defaultValue="VIEWER" className={inputClass}>
            {roles.map((role) => (
              <option key={role} value={role}>
                {roleLabel(role)}
              </option>
            ))}
          </select>
        </div>
        {field("password", "Initial password (12+ characters)", "password", "new-password")}
        <Button type="submit" disabled={create.isPending} className="w-full">
          {create.isPending ? "Creating…" : "Create user"}
        </Button>
      </form>
    </section>
  );
}
