// Accounts and data shared by the end-to-end server (e2e/start-server.ts) and the specs.
import { randomBytes } from "node:crypto";

/** Seeded into every fresh e2e database; specs never lock or demote it. */
export const ADMIN = { email: "admin@e2e.test", name: "E2E Admin", password: "e2e-admin-password-1" } as const;

/** Initial password given to users that specs create through the admin UI. */
export const USER_PASSWORD = "e2e-user-password-1";

/** An address no other test (or earlier run on the same server) uses. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}@e2e.test`;
}
