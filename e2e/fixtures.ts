// Accounts and data shared by the end-to-end server (e2e/start-server.ts) and the specs.
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";

/** Seeded into every fresh e2e database; specs never lock or demote it. */
export const ADMIN = { email: "admin@e2e.test", name: "E2E Admin", password: "e2e-admin-password-1" } as const;

/** One seeded account per other role, for the flows that depend on who is signed in. */
export const SEEDED_USERS = {
  VIEWER: { email: "viewer@e2e.test", name: "Vera Viewer", password: "e2e-viewer-password-1" },
  OPERATOR: { email: "operator@e2e.test", name: "Otto Operator", password: "e2e-operator-password-1" },
  APPROVER: { email: "approver@e2e.test", name: "Ada Approver", password: "e2e-approver-password-1" },
} as const;

/** Secrets the e2e server creates for the specs: an all-scopes API key and the cron secret. */
export interface E2eState {
  baseUrl: string;
  apiKey: string;
  signingSecret: string;
  cronSecret: string;
}

/** Where start-server.ts writes the E2eState for the specs (a fresh file per server). */
export function e2eStateFile(port: number): string {
  return path.join(os.tmpdir(), `rewind-e2e-${port}.json`);
}

/** Initial password given to users that specs create through the admin UI. */
export const USER_PASSWORD = "e2e-user-password-1";

/** An address no other test (or earlier run on the same server) uses. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}@e2e.test`;
}
