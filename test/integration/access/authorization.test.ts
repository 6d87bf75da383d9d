// Every procedure of the app router × every role, from one table: a new procedure fails this test until
// it is added with the role it needs. Inputs fail after the role check where a call would change shared
// data (unknown ids, invalid fields); the two that run a pass or a cycle do so at a clock in 2000, where
// no test keeps data.
import { describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { roles, type RoleName } from "@/server/domain/roles";
import { callerFor, makeUser, testDb } from "../helpers";

const db = testDb();

interface Entry {
  path: string;
  minimumRole: "PUBLIC" | RoleName;
  input?: unknown;
}

const range = { targetId: "missing", from: new Date(0), to: new Date(60_000) };
const matrix: Entry[] = [
  { path: "users.me", minimumRole: "VIEWER" },
  { path: "users.mySlackLink", minimumRole: "VIEWER" },
  { path: "users.setMySlackLink", minimumRole: "VIEWER", input: { slackUserId: "not a member id" } },
  { path: "users.list", minimumRole: "ADMIN" },
  { path: "users.signInAttempts", minimumRole: "ADMIN" },
  { path: "users.create", minimumRole: "ADMIN", input: { email: "nope", name: "", role: "VIEWER", password: "x" } },
  { path: "users.changeRole", minimumRole: "ADMIN", input: { userId: "missing", role: "VIEWER" } },
  { path: "users.setDisabled", minimumRole: "ADMIN", input: { userId: "missing", disabled: true } },
  { path: "targets.list", minimumRole: "VIEWER" },
  { path: "targets.bySlug", minimumRole: "VIEWER", input: { slug: "missing" } },
  { path: "targets.create", minimumRole: "OPERATOR", input: { slug: "Not A Slug", name: "" } },
  { path: "targets.update", minimumRole: "OPERATOR", input: { id: "missing", name: "x" } },
  { path: "targets.setMonitoring", minimumRole: "OPERATOR", input: { id: "missing", enabled: true } },
  { path: "metrics.summary", minimumRole: "VIEWER", input: range },
  { path: "metrics.series", minimumRole: "VIEWER", input: range },
  { path: "policies.get", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "policies.history", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "policies.update", minimumRole: "OPERATOR", input: { targetId: "missing", policy: {} } },
  { path: "policies.backtest", minimumRole: "VIEWER", input: range },
  { path: "policies.backtestComparison", minimumRole: "VIEWER", input: range },
  { path: "evaluation.runPass", minimumRole: "OPERATOR" },
  { path: "evaluation.verdicts", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "evaluation.periods", minimumRole: "VIEWER", input: range },
  { path: "rollbacks.list", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "rollbacks.byId", minimumRole: "VIEWER", input: { rollbackId: "missing" } },
  { path: "rollbacks.report", minimumRole: "VIEWER", input: { rollbackId: "missing" } },
  { path: "rollbacks.timelines", minimumRole: "VIEWER", input: range },
  { path: "rollbacks.incident", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "rollbacks.summary", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "rollbacks.actors", minimumRole: "VIEWER" },
  { path: "rollbacks.pending", minimumRole: "VIEWER" },
  { path: "rollbacks.pendingCount", minimumRole: "VIEWER" },
  {
    path: "rollbacks.requestManual",
    minimumRole: "OPERATOR",
    input: { targetId: "missing", toSnapshotId: "missing", reason: "x" },
  },
  { path: "rollbacks.approve", minimumRole: "APPROVER", input: { rollbackId: "missing" } },
  { path: "rollbacks.reject", minimumRole: "APPROVER", input: { rollbackId: "missing", comment: "x" } },
  { path: "rollbacks.cancel", minimumRole: "APPROVER", input: { rollbackId: "missing", reason: "x" } },
  { path: "rollbacks.abort", minimumRole: "APPROVER", input: { rollbackId: "missing", reason: "x" } },
  { path: "cycle.run", minimumRole: "OPERATOR" },
  { path: "cycle.status", minimumRole: "VIEWER" },
  { path: "snapshots.list", minimumRole: "VIEWER", input: { targetId: "missing" } },
  { path: "snapshots.byId", minimumRole: "VIEWER", input: { snapshotId: "missing" } },
  { path: "snapshots.diff", minimumRole: "VIEWER", input: { targetId: "missing", fromId: "a", toId: "b" } },
  { path: "snapshots.publish", minimumRole: "OPERATOR", input: { targetId: "missing", config: {} } },
  { path: "snapshots.markKnownGood", minimumRole: "OPERATOR", input: { snapshotId: "missing", reason: "x" } },
  { path: "snapshots.unmarkKnownGood", minimumRole: "OPERATOR", input: { snapshotId: "missing", reason: "x" } },
  { path: "flags.list", minimumRole: "VIEWER" },
  { path: "flags.create", minimumRole: "OPERATOR", input: { key: "Not A Key" } },
  { path: "flags.update", minimumRole: "OPERATOR", input: { id: "missing", description: "x" } },
  { path: "flags.setEnabled", minimumRole: "OPERATOR", input: { id: "missing", enabled: true } },
  { path: "flags.setPercent", minimumRole: "OPERATOR", input: { id: "missing", percent: 50 } },
  { path: "flagReenablements.overview", minimumRole: "VIEWER" },
  { path: "flagReenablements.start", minimumRole: "OPERATOR", input: { rollbackId: "missing" } },
  { path: "flagReenablements.cancel", minimumRole: "APPROVER", input: { planId: "missing", reason: "x" } },
  { path: "system.state", minimumRole: "VIEWER" },
  { path: "system.emergencyStop", minimumRole: "APPROVER", input: { reason: "" } },
  { path: "system.liftEmergencyStop", minimumRole: "APPROVER", input: { reason: "" } },
  { path: "system.pauseMonitoring", minimumRole: "OPERATOR", input: { reason: "" } },
  { path: "system.resumeMonitoring", minimumRole: "OPERATOR", input: { reason: "" } },
  { path: "dashboard.overview", minimumRole: "VIEWER" },
  { path: "audit.list", minimumRole: "VIEWER", input: { limit: 1 } },
  { path: "audit.verify", minimumRole: "VIEWER" },
  { path: "audit.reverify", minimumRole: "ADMIN" },
  { path: "audit.checkpoints", minimumRole: "VIEWER" },
  { path: "audit.createCheckpoint", minimumRole: "ADMIN" },
  { path: "audit.facets", minimumRole: "VIEWER" },
  { path: "apiKeys.list", minimumRole: "ADMIN" },
  { path: "apiKeys.create", minimumRole: "ADMIN", input: {} },
  { path: "apiKeys.revoke", minimumRole: "ADMIN", input: { id: "missing" } },
  { path: "integrations.settings", minimumRole: "ADMIN" },
  { path: "integrations.saveSns", minimumRole: "ADMIN", input: { allowedTopicArns: ["not an arn"], alarmTargets: [] } },
  { path: "integrations.targetRules", minimumRole: "ADMIN" },
  {
    path: "integrations.createTargetRule",
    minimumRole: "ADMIN",
    input: { serviceName: "chat-api", target: "missing-target" },
  },
  {
    path: "integrations.updateTargetRule",
    minimumRole: "ADMIN",
    input: { id: "missing", serviceName: "chat-api", target: "missing-target" },
  },
  { path: "integrations.deleteTargetRule", minimumRole: "ADMIN", input: { id: "missing" } },
  { path: "metricSources.list", minimumRole: "ADMIN" },
  { path: "metricSources.byTarget", minimumRole: "ADMIN", input: { targetId: "missing" } },
  { path: "metricSources.save", minimumRole: "ADMIN", input: { targetId: "missing", source: { kind: "NONE" } } },
  { path: "metricSources.remove", minimumRole: "ADMIN", input: { targetId: "missing" } },
  { path: "metricSources.test", minimumRole: "ADMIN", input: { targetId: "missing", source: { kind: "NONE" } } },
  { path: "notifications.settings", minimumRole: "ADMIN" },
  { path: "notifications.deadLetters", minimumRole: "ADMIN" },
  { path: "notifications.retry", minimumRole: "ADMIN", input: { id: "missing" } },
  { path: "notifications.setSlackWebhook", minimumRole: "ADMIN", input: { url: "not a url" } },
  { path: "notifications.sendTest", minimumRole: "ADMIN" },
  { path: "notifications.slackApp", minimumRole: "ADMIN" },
  { path: "notifications.configureSlackApp", minimumRole: "ADMIN", input: { signingSecret: "no" } },
  { path: "notifications.clearSlackAppSecret", minimumRole: "ADMIN", input: { secret: "nothing" } },
  {
    path: "notifications.configureChannel",
    minimumRole: "ADMIN",
    input: { channel: "PAGERDUTY", routingKey: "short", eventsUrl: "" },
  },
  { path: "notifications.clearChannel", minimumRole: "ADMIN", input: { channel: "NO_SUCH_CHANNEL" } },
  { path: "notifications.testChannel", minimumRole: "ADMIN", input: { channel: "NO_SUCH_CHANNEL" } },
  { path: "notifications.webhooks", minimumRole: "ADMIN" },
  { path: "notifications.createWebhook", minimumRole: "ADMIN", input: { name: "", url: "x", events: [] } },
  { path: "notifications.updateWebhook", minimumRole: "ADMIN", input: { id: "missing", name: "x" } },
  { path: "notifications.deleteWebhook", minimumRole: "ADMIN", input: { id: "missing" } },
  { path: "notifications.testWebhook", minimumRole: "ADMIN", input: { id: "missing" } },
];

type Caller = Awaited<ReturnType<typeof callerFor>>;

/** Failures a permitted caller may meet for business reasons; anything else is reported by its code. */
const BUSINESS_ERRORS = new Set(["NOT_FOUND", "BAD_REQUEST", "PRECONDITION_FAILED", "CONFLICT"]);

async function outcome(caller: Caller, { path, input }: Entry): Promise<string> {
  const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (
    input: unknown,
  ) => Promise<unknown>;
  try {
    await procedure(input);
    return "allowed";
  } catch (error) {
    const code = String((error as { code?: unknown }).code);
    return BUSINESS_ERRORS.has(code) ? "allowed" : code;
  }
}

function expected(entry: Entry, role: RoleName | null): string {
  if (entry.minimumRole === "PUBLIC") return "allowed";
  if (role === null) return "UNAUTHORIZED";
  return roles.indexOf(role) >= roles.indexOf(entry.minimumRole) ? "allowed" : "FORBIDDEN";
}

describe("authorization", () => {
  it("lists every procedure of the app router", () => {
    expect(matrix.map((entry) => entry.path).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
  });

  it("lets each role call exactly the procedures at or below it, and signed-out callers none", async () => {
    const clock = { now: () => new Date(Date.UTC(2000, 0, 1)) };
    const callers: [string, RoleName | null, Caller][] = [["signed out", null, await callerFor(db, null, clock)]];
    for (const role of roles) callers.push([role, role, await callerFor(db, (await makeUser(db, role)).id, clock)]);

    const actual: Record<string, Record<string, string>> = {};
    const wanted: Record<string, Record<string, string>> = {};
    for (const entry of matrix) {
      actual[entry.path] = {};
      wanted[entry.path] = {};
      for (const [name, role, caller] of callers) {
        actual[entry.path]![name] = await outcome(caller, entry);
        wanted[entry.path]![name] = expected(entry, role);
      }
    }
    expect(actual).toEqual(wanted);
  });
});
