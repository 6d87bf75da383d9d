// Who the audit says made a CLI's change: the admin named with `--as` (checked: an active admin), else the
// command line itself as `cli:<OS user>@<host>` (server/services/audit/audit-log.ts, commandLineActor).
// Import it once the environment is complete: it loads the database client.
import { hostname, userInfo } from "node:os";
import type { Db } from "../../server/db";
import { emailSchema } from "../../server/domain/users";
import { listUsers } from "../../server/services/access/users";
import { commandLineActor, userActor, type Actor } from "../../server/services/audit/audit-log";
import { CliError } from "./cli";

export async function resolveActor(db: Db, asEmail: string | undefined): Promise<{ actor: Actor; label: string }> {
  if (asEmail === undefined) {
    let user = process.env.USER ?? "unknown";
    try {
      user = userInfo().username;
    } catch {
      // No passwd entry (some containers): the environment's USER will do.
    }
    const who = `${user}@${hostname()}`;
    return { actor: commandLineActor(who), label: `the command line (${who})` };
  }
  const email = emailSchema.safeParse(asEmail);
  if (!email.success) throw new CliError(`--as needs an admin's email address, got "${asEmail}"`, 2);
  const admin = (await listUsers(db)).find((user) => user.email === email.data);
  if (!admin || admin.disabled || admin.role !== "ADMIN") {
    throw new CliError(`--as ${email.data}: no active admin has this email`);
  }
  return { actor: userActor(admin.id), label: admin.email };
}
