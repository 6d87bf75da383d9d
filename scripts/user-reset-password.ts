// `npm run user:reset-password -- --email a@b.c [--password-stdin]`: the way back in for a locked-out
// or forgotten admin. Sets a new password, clears the sign-in throttle, re-enables the account and ends every
// session the user had (a signed-in browser, or whoever had the old password, must sign in again).
import { parseArgs } from "node:util";
import { readPassword } from "./lib/password-input";
import { loadEnvironment, migrateDeploy } from "./lib/setup";

async function main() {
  const { values } = parseArgs({
    options: { email: { type: "string" }, "password-stdin": { type: "boolean", default: false } },
  });
  if (!values.email) throw new Error("Usage: npm run user:reset-password -- --email a@b.c [--password-stdin]");
  loadEnvironment();
  migrateDeploy(process.env.DATABASE_URL as string);
  const { getDb } = await import("../server/db");
  const { resetPassword } = await import("../server/services/access/users");
  const { generatePassword } = await import("../server/services/access/passwords");
  const given = await readPassword(values["password-stdin"]);
  const password = given ?? generatePassword();
  const user = await resetPassword(getDb(), { email: values.email, password }, new Date());
  console.log(
    `New password set for ${user.email} (${user.role.toLowerCase()}); sign-in throttle cleared, all sessions ended.`,
  );
  if (!given) console.log(`Password (shown only this once): ${password}`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
