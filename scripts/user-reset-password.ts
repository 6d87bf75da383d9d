// `npm run user:reset-password`: the way back in for a locked-out or forgotten admin. Sets a new password,
// clears the sign-in throttle, re-enables the account and ends every session the user had (a signed-in
// browser, or whoever had the old password, must sign in again). Works beside a running server.
import { parseOptions, runCli, usageError } from "./lib/cli";
import { applyPendingMigrations } from "./lib/migrations";
import { readPassword } from "./lib/password-input";
import { loadEnvironment } from "./lib/setup";

const usage = `Usage: npm run user:reset-password -- --email EMAIL [--password-stdin]

  --email EMAIL       the user whose password to reset (required)
  --password-stdin    read the new password from stdin; otherwise it is asked for on a terminal,
                      or generated and printed once (at least 12 characters)
  -h, --help          this help

Also clears the user's sign-in throttle, re-enables the account and signs the user out everywhere.
Works while Rewind is running on the same database.`;

runCli(async () => {
  const values = parseOptions(usage, {
    email: { type: "string" },
    "password-stdin": { type: "boolean", default: false },
  });
  if (!values.email) usageError(usage, "--email is required");
  loadEnvironment();
  await applyPendingMigrations(process.env.DATABASE_URL as string, (line) => console.log(line));
  const { getDb } = await import("../server/db");
  const { resetPassword } = await import("../server/services/access/users");
  const { generatePassword } = await import("../server/services/access/passwords");
  const { resolveActor } = await import("./lib/command-line-actor");
  const given = await readPassword(values["password-stdin"]);
  const password = given ?? generatePassword();
  const { actor } = await resolveActor(getDb(), undefined);
  const user = await resetPassword(getDb(), { actor, email: values.email, password }, new Date());
  console.log(
    `New password set for ${user.email} (${user.role.toLowerCase()}); sign-in throttle cleared, all sessions ended.`,
  );
  if (!given) console.log(`Password (shown only this once): ${password}`);
});
