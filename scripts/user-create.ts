// `npm run user:create`: adds a user from the host, beside a running server or before the first start.
// Without --password-stdin a password is asked for on a terminal, or generated and printed once.
import { roles } from "../server/domain/roles";
import { parseOptions, runCli, usageError } from "./lib/cli";
import { applyPendingMigrations } from "./lib/migrations";
import { readPassword } from "./lib/password-input";
import { loadEnvironment } from "./lib/setup";

const usage = `Usage: npm run user:create -- --email EMAIL [--role ROLE] [--name NAME] [--password-stdin] [--as ADMIN_EMAIL]

  --email EMAIL       the new user's email (required)
  --role ROLE         ${roles.map((role) => role.toLowerCase()).join(", ")} (default: viewer)
  --name NAME         shown in the dashboard (default: the part of the email before @)
  --password-stdin    read the password from stdin; otherwise it is asked for on a terminal,
                      or generated and printed once (at least 12 characters)
  --as ADMIN_EMAIL    the admin the audit records as creating the user; without it, the command line
                      (your OS user and host)
  -h, --help          this help

Works while Rewind is running on the same database.`;

runCli(async () => {
  const values = parseOptions(usage, {
    email: { type: "string" },
    role: { type: "string", default: "viewer" },
    name: { type: "string" },
    "password-stdin": { type: "boolean", default: false },
    as: { type: "string" },
  });
  if (!values.email) usageError(usage, "--email is required");
  const role = values.role.toUpperCase();
  if (!(roles as readonly string[]).includes(role)) {
    usageError(
      usage,
      `--role must be one of ${roles.map((name) => name.toLowerCase()).join(", ")}, got "${values.role}"`,
    );
  }
  loadEnvironment();
  await applyPendingMigrations(process.env.DATABASE_URL as string, (line) => console.log(line));
  const { getDb } = await import("../server/db");
  const { createUser } = await import("../server/services/access/users");
  const { generatePassword } = await import("../server/services/access/passwords");
  const { resolveActor } = await import("./lib/command-line-actor");
  const { actor, label } = await resolveActor(getDb(), values.as);
  const given = await readPassword(values["password-stdin"]);
  const password = given ?? generatePassword();
  const user = await createUser(
    getDb(),
    { actor, email: values.email, name: values.name ?? values.email.split("@")[0], role, password },
    new Date(),
  );
  console.log(`Created ${user.email} (${user.role.toLowerCase()}), recorded in the audit as created by ${label}`);
  if (!given) console.log(`Password (shown only this once): ${password}`);
});
