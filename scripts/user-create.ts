// `npm run user:create -- --email a@b.c --role APPROVER [--name "A B"] [--password-stdin]`
// Without --password-stdin a password is asked for on a terminal, or generated and printed once.
import { parseArgs } from "node:util";
import { readPassword } from "./lib/password-input";
import { loadEnvironment, migrateDeploy } from "./lib/setup";

const usage =
  'Usage: npm run user:create -- --email a@b.c --role VIEWER|OPERATOR|APPROVER|ADMIN [--name "Name"] [--password-stdin]';

async function main() {
  const { values } = parseArgs({
    options: {
      email: { type: "string" },
      role: { type: "string", default: "VIEWER" },
      name: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
    },
  });
  if (!values.email) throw new Error(`--email is required\n${usage}`);
  loadEnvironment();
  migrateDeploy(process.env.DATABASE_URL as string);
  const { getDb } = await import("../server/db");
  const { createUser } = await import("../server/services/access/users");
  const { systemActor } = await import("../server/services/audit/audit-log");
  const { generatePassword } = await import("../server/services/access/passwords");
  const given = await readPassword(values["password-stdin"]);
  const password = given ?? generatePassword();
  const user = await createUser(
    getDb(),
    {
      actor: systemActor,
      email: values.email,
      name: values.name ?? values.email.split("@")[0],
      role: values.role?.toUpperCase(),
      password,
    },
    new Date(),
  );
  console.log(`Created ${user.email} (${user.role.toLowerCase()})`);
  if (!given) console.log(`Password (shown only this once): ${password}`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
