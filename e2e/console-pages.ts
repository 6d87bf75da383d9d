// Every page of the console, for the specs that visit them all (accessibility, security headers): one list,
// so a new page is checked by both once it is added here.
import { randomBytes } from "node:crypto";
import { expect } from "@playwright/test";
import { settingsSections } from "../components/settings/sections";
import { traffic, type RewindApi } from "./api";
import { runRollbackToEnd, seedPendingRollback } from "./seed";

/**
 * A target whose v2 is an emergency (50% errors against 5% × 2): rolled back to v1 at once, all traffic in one
 * step, and completed once that step has had its 10 s interval. Returns the ended rollback's id, whose incident
 * report then has data. ~15 s.
 */
async function seedEndedRollback(api: RewindApi, slug: string, name: string): Promise<string> {
  await api.putTarget(slug, { name, description: "Seeded by the e2e suite" });
  await api.putPolicy(slug, {
    maxErrorRate: 0.05,
    emergencyMultiplier: 2,
    evaluationWindowSeconds: 30,
    minRequests: 10,
    cooldownSeconds: 0,
    stepIntervalSeconds: 10,
    stepMaxHoldIntervals: 0,
    bakeTimeSeconds: 0,
    verificationWindowSeconds: 60,
    burnRate: { enabled: false },
  });
  await api.publishSnapshot(slug, { model: "gpt-4o-mini", temperature: 0.2 });
  await api.ingest(slug, traffic({ end: Date.now(), seconds: 20, count: 60, version: 1 }));
  // Healthy and past its (zero) bake time: this cycle marks v1 known-good.
  await api.runCycle();
  await api.publishSnapshot(slug, { model: "gpt-4o-mini", temperature: 1.4 });
  await api.ingest(slug, traffic({ end: Date.now(), seconds: 10, count: 100, version: 2, errorEvery: 2 }));
  let rollbackId: string | undefined;
  await expect
    .poll(
      async () => {
        await api.runCycle();
        rollbackId = (await api.status(slug)).rollback?.id;
        return rollbackId;
      },
      { timeout: 20_000, intervals: [1_100] },
    )
    .toBeTruthy();
  await runRollbackToEnd(api, slug);
  return rollbackId as string;
}

/**
 * Seeds a target with a pending rollback and another whose rollback has ended, so that every page has data, and
 * names each page with its URL.
 */
export async function consolePages(api: RewindApi, prefix: string): Promise<(readonly [name: string, url: string])[]> {
  const suffix = randomBytes(3).toString("hex");
  const slug = `${prefix}-${suffix}`;
  await seedPendingRollback(api, slug, `Chat completions (${prefix})`);
  const rollbackId = (await api.status(slug)).rollback?.id as string;
  const endedRollbackId = await seedEndedRollback(api, `${prefix}-ended-${suffix}`, `Summaries (${prefix})`);
  return [
    ["overview", "/"],
    ["target", `/targets/${slug}`],
    ["approvals", "/approvals"],
    ["rollbacks", "/rollbacks"],
    ["rollback", `/rollbacks/${rollbackId}`],
    ["incident-report", `/rollbacks/${endedRollbackId}/report`],
    ["policies", `/policies?target=${slug}`],
    ["snapshots", `/snapshots?target=${slug}`],
    ["flags", "/flags"],
    ["audit", "/audit"],
    ["settings", "/settings"],
    // Every section the settings navigation lists, so a new one is checked once it is there.
    ...settingsSections.map(({ href }) => [`settings-${href.split("/").at(-1)}`, href] as const),
  ];
}
