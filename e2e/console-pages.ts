// Every page of the console, for the specs that visit them all (accessibility, security headers): one list,
// so a new page is checked by both once it is added here.
import { randomBytes } from "node:crypto";
import type { RewindApi } from "./api";
import { seedPendingRollback } from "./seed";

/** Seeds a target with a pending rollback so that every page has data, and names each page with its URL. */
export async function consolePages(api: RewindApi, prefix: string): Promise<(readonly [name: string, url: string])[]> {
  const slug = `${prefix}-${randomBytes(3).toString("hex")}`;
  await seedPendingRollback(api, slug, `Chat completions (${prefix})`);
  const rollbackId = (await api.status(slug)).rollback?.id as string;
  return [
    ["overview", "/"],
    ["target", `/targets/${slug}`],
    ["approvals", "/approvals"],
    ["rollbacks", "/rollbacks"],
    ["rollback", `/rollbacks/${rollbackId}`],
    ["policies", `/policies?target=${slug}`],
    ["snapshots", `/snapshots?target=${slug}`],
    ["flags", "/flags"],
    ["audit", "/audit"],
    ["settings", "/settings"],
    ["settings-users", "/settings/users"],
    ["settings-api-keys", "/settings/api-keys"],
    ["settings-notifications", "/settings/notifications"],
    ["settings-scheduler", "/settings/scheduler"],
  ] as const;
}
