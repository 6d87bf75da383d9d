// Rollbacks over the machine API, as a client team would use them from docs/API.md: list with filters and cursor
// pages, read one with its steps, checks and timeline, cancel, abort and request as a key (approval stays a
// person's), keys limited to targets, and Alertmanager withdrawing the proposal its alert raised once resolved.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { bucketStart } from "@/server/domain/metrics";
import { userActor } from "@/server/services/audit/audit-log";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import {
  approveRollback,
  cancelRollback,
  requestManualRollback,
  startRollbackFromDecision,
} from "@/server/services/rollbacks/commands";
import {
  attributed,
  breachVerdict,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
  startedAutomaticRollback,
} from "../integration/lifecycle-fixtures";
import { BUCKET_MS } from "../integration/helpers";
import { api, makeKey, makeUser, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let reader: TestKey;
let writer: TestKey;
let approver: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  reader = await makeKey(db, { scopes: ["rollbacks:read"] });
  writer = await makeKey(db, { scopes: ["rollbacks:write", "rollbacks:read"] });
  approver = await makeUser(db, "APPROVER");
});

type Fixture = Awaited<ReturnType<typeof lifecycleTarget>>;

/** The cycle's proposal for the fixture's target, requested at `at`. */
async function propose(fixture: Fixture, at: Date) {
  const started = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    at,
  );
  return started.rollbackId;
}

const rows = (id: string) => db.rollback.findUniqueOrThrow({ where: { id } });

type Page = { items: { id: string; target: { slug: string } }[]; nextCursor: string | null };
const idsOf = (body: unknown) => (body as Page).items.map((item) => item.id);
const actions = (body: unknown) => (body as { timeline: { action: string }[] }).timeline.map((event) => event.action);

describe("GET /api/v1/rollbacks", () => {
  let fixture: Fixture;
  const ids: string[] = [];
  const base = Date.now() - 60 * MINUTE;

  beforeAll(async () => {
    // Five proposals a minute apart: four cancelled by a person, the newest still pending.
    fixture = await lifecycleTarget(db);
    for (let i = 0; i < 5; i++) {
      const id = await propose(fixture, new Date(base + i * MINUTE));
      ids.unshift(id);
      if (i < 4) {
        await cancelRollback(
          db,
          { actor: userActor(approver.id), rollbackId: id, reason: `drill ${i}` },
          new Date(base + i * MINUTE + 1_000),
        );
      }
    }
  });

  it("lists newest first, a page at a time, with the documented item", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const query: string = `target=${fixture.target.slug}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await api("GET", `/api/v1/rollbacks?${query}`, { key: reader });
      expect(page.status).toBe(200);
      expect(page.headers.get("cache-control")).toBe("no-store");
      pages.push(page.body.items.length);
      seen.push(...idsOf(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids);

    const first = await api("GET", `/api/v1/rollbacks?target=${fixture.target.slug}&limit=5`, { key: reader });
    expect(first.body.nextCursor).toBeNull();
    expect(first.body.items[0]).toEqual({
      id: ids[0],
      target: { slug: fixture.target.slug, name: fixture.target.name },
      trigger: "SLO",
      status: "PENDING_APPROVAL",
      steps: [25, 50, 100],
      currentStep: -1,
      trafficPercent: 0,
      approvalsRequired: 1,
      approvalCount: 0,
      fromSnapshot: { id: fixture.bad.id, version: 2 },
      toSnapshot: { id: fixture.good.id, version: 1 },
      requestedBy: { type: "SYSTEM" },
      requestedAt: new Date(base + 4 * MINUTE).toISOString(),
      reason: expect.any(String),
      startedAt: null,
      timeToActionMs: null,
      endedAt: null,
      endedBy: null,
      endReason: null,
      aborted: false,
      verification: null,
      verifiedAt: null,
    });
    expect(first.body.items[1]).toMatchObject({
      status: "CANCELLED",
      endedBy: { type: "USER", id: approver.id, email: approver.email },
      endReason: "drill 3",
    });
  });

  it("filters by status, trigger and time", async () => {
    const list = async (query: string) => {
      const response = await api("GET", `/api/v1/rollbacks?target=${fixture.target.slug}&${query}`, { key: reader });
      expect(response.status).toBe(200);
      return idsOf(response.body);
    };
    expect(await list("status=CANCELLED")).toEqual(ids.slice(1));
    expect(await list("status=PENDING_APPROVAL,CANCELLED")).toEqual(ids);
    expect(await list("status=PENDING_APPROVAL&status=EXPIRED")).toEqual(ids.slice(0, 1));
    expect(await list("trigger=MANUAL")).toEqual([]);
    expect(await list("trigger=SLO&status=CANCELLED&limit=1")).toEqual(ids.slice(1, 2));
    expect(await list(`since=${new Date(base + 2 * MINUTE).toISOString()}`)).toEqual(ids.slice(0, 3));
    expect(await list(`since=${base + 3 * MINUTE}`)).toEqual(ids.slice(0, 2));
  });

  it("refuses bad filters and cursors with 422 by parameter, and an unknown target with 404", async () => {
    const refused = async (query: string) => {
      const response = await api("GET", `/api/v1/rollbacks?${query}`, { key: reader });
      expect(response.status, query).toBe(422);
      expect(response.body.error.code).toBe("VALIDATION");
      return Object.keys(response.body.error.issues);
    };
    expect(await refused("status=DONE")).toEqual(["status"]);
    expect(await refused("status=PENDING_APPROVAL,done")).toEqual(["status"]);
    expect(await refused("trigger=CRON")).toEqual(["trigger"]);
    expect(await refused("limit=0")).toEqual(["limit"]);
    expect(await refused("limit=101")).toEqual(["limit"]);
    expect(await refused("limit=ten")).toEqual(["limit"]);
    expect(await refused("limit=1&limit=2")).toEqual(["limit"]);
    expect(await refused("cursor=not-a-cursor")).toEqual(["cursor"]);
    expect(await refused(`cursor=${Buffer.from("n.1.x\u0000").toString("base64url")}`)).toEqual(["cursor"]);
    expect(await refused("since=yesterday")).toEqual(["since"]);
    expect(await refused("target=Not_A_Slug")).toEqual(["target"]);
    expect(await refused("state=PENDING_APPROVAL")).toEqual(["state"]);
    expect(await refused("status=DONE&limit=0")).toEqual(["status", "limit"]);

    const unknown = await api("GET", `/api/v1/rollbacks?target=${uniqueSlug()}`, { key: reader });
    expect(unknown.status).toBe(404);
  });
});

describe("GET /api/v1/rollbacks/{id}", () => {
  it("reads a gradual rollback with its steps, step checks, arms and timeline", async () => {
    const T = bucketStart(Date.now(), BUCKET_MS) - 90_000;
    const policy = { ...lifecyclePolicy, mode: "AUTOMATIC" as const, stepMinRequests: 100, configPickupSeconds: 0 };
    const fixture = await startedAutomaticRollback(db, policy, T);
    await attributed(db, fixture.target.id, 1, T, 60, { perSecond: 3 });
    await attributed(db, fixture.target.id, 2, T, 60, { perSecond: 3 });
    await advanceDueRollbacks(db, { now: new Date(T + 60_000), bucketWidthMs: BUCKET_MS });

    const response = await api("GET", `/api/v1/rollbacks/${fixture.rollbackId}`, { key: reader });
    expect(response.status).toBe(200);
    const rollback = response.body;
    expect(rollback).toMatchObject({
      id: fixture.rollbackId,
      trigger: "SLO",
      status: "IN_PROGRESS",
      steps: [25, 50, 100],
      currentStep: 1,
      trafficPercent: 50,
      approvalsRequired: 0,
      approvals: [],
      requestedBy: { type: "SYSTEM" },
      endedBy: null,
      evidence: { verdict: { status: "BREACH" }, decision: { kind: "AUTO_ROLLBACK" } },
      trafficSplit: [
        { snapshotId: fixture.bad.id, version: 2, weight: 50 },
        { snapshotId: fixture.good.id, version: 1, weight: 50 },
      ],
      policy: { nextStepDueAt: new Date(T + 120_000).toISOString(), approvalDeadline: null },
      arms: [
        { arm: "KNOWN_GOOD", version: 1 },
        { arm: "CURRENT", version: 2 },
      ],
      stepChecks: [
        {
          step: 0,
          trafficPercent: 25,
          outcome: "ADVANCE",
          perArm: true,
          checkedAt: new Date(T + 60_000).toISOString(),
          alpha: expect.any(Number),
          explanation: expect.any(String),
          arms: [
            { arm: "KNOWN_GOOD", version: 1, requests: 180, errorRate: 0, costPerRequestUsd: 0.001, ttftP95Ms: null },
            { arm: "CURRENT", version: 2, requests: 180, errorRate: 0, costPerRequestUsd: 0.001, ttftP95Ms: null },
          ],
          slos: expect.arrayContaining([expect.objectContaining({ slo: "ERROR_RATE", worse: null })]),
        },
      ],
    });
    expect(actions(rollback)).toEqual(["rollback.created", "rollback.started", "rollback.step_advanced"]);
    expect(rollback.timeline[0]).toMatchObject({ actor: { type: "SYSTEM" }, after: { status: "APPROVED" } });
    // The status endpoint's last check is the same record, named the same way.
    const status = await api("GET", `/api/v1/targets/${fixture.target.slug}/status`, {
      key: await makeKey(db, { scopes: ["config:read"] }),
    });
    const { arms: _readings, ...last } = status.body.rollback.lastStepCheck;
    expect(rollback.stepChecks[0]).toMatchObject(last);
  });

  it("names the people who approved, and the verification once completed", async () => {
    const fixture = await lifecycleTarget(db);
    const id = await propose(fixture, new Date(Date.now() - 10 * MINUTE));
    await approveRollback(db, { actor: userActor(approver.id), rollbackId: id, comment: "go" }, new Date());
    await db.rollback.update({
      where: { id },
      data: {
        status: "COMPLETED",
        activeTargetId: null,
        endedAt: new Date(),
        verification: "EFFECTIVE",
        verifiedAt: new Date(),
      },
    });
    const response = await api("GET", `/api/v1/rollbacks/${id}`, { key: reader });
    expect(response.body).toMatchObject({
      status: "COMPLETED",
      verification: "EFFECTIVE",
      endedBy: { type: "SYSTEM" },
      approvals: [{ user: { id: approver.id, email: approver.email }, decision: "APPROVE", comment: "go" }],
    });
    expect(actions(response.body)).toEqual(["rollback.created", "rollback.approved"]);
    expect(response.body.timeline[1].actor).toEqual({
      type: "USER",
      id: approver.id,
      name: approver.name,
      email: approver.email,
    });
  });

  it("is 404 for an unknown id, a malformed one, and another target's rollback", async () => {
    for (const id of ["cmissing000000000000000000", "x".repeat(200), "%00"]) {
      const response = await api("GET", `/api/v1/rollbacks/${id}`, { key: reader });
      expect(response.status, id).toBe(404);
      expect(response.body.error.code).toBe("NOT_FOUND");
    }
  });
});

describe("POST /api/v1/rollbacks/{id}/cancel and /abort", () => {
  it("cancels a pending rollback as the key, audited with the key and notified", async () => {
    const fixture = await lifecycleTarget(db);
    const id = await propose(fixture, new Date());
    const response = await api("POST", `/api/v1/rollbacks/${id}/cancel`, {
      key: writer,
      body: { reason: "deploy pipeline rolled forward instead" },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id,
      status: "CANCELLED",
      aborted: false,
      endReason: "deploy pipeline rolled forward instead",
      endedBy: { type: "API_KEY", id: writer.id, prefix: writer.key.slice(0, 12) },
    });
    expect((response.body as { timeline: unknown[] }).timeline.at(-1)).toMatchObject({
      action: "rollback.cancelled",
      actor: { type: "API_KEY", id: writer.id },
      reason: "deploy pipeline rolled forward instead",
    });
    expect(await db.auditEvent.findFirst({ where: { entityId: id, action: "rollback.cancelled" } })).toMatchObject({
      actorType: "API_KEY",
      actorId: writer.id,
    });
    expect(await db.notification.findFirst({ where: { rollbackId: id, event: "rollback.cancelled" } })).not.toBeNull();
    expect(await rows(id)).toMatchObject({ activeTargetId: null, endedById: writer.id });

    const again = await api("POST", `/api/v1/rollbacks/${id}/cancel`, { key: writer, body: { reason: "twice" } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("PRECONDITION_FAILED");
  });

  it("aborts an in-progress rollback (traffic back to 0%) and refuses to cancel it", async () => {
    const T = bucketStart(Date.now(), BUCKET_MS) - 30_000;
    const fixture = await startedAutomaticRollback(db, { ...lifecyclePolicy, mode: "AUTOMATIC" }, T);
    const id = fixture.rollbackId;
    const cancel = await api("POST", `/api/v1/rollbacks/${id}/cancel`, { key: writer, body: { reason: "stop" } });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toMatch(/abort it instead/);

    const abort = await api("POST", `/api/v1/rollbacks/${id}/abort`, {
      key: writer,
      body: { reason: "the known-good model is being deprecated" },
      headers: { "idempotency-key": `abort-${id}` },
    });
    expect(abort.status).toBe(200);
    expect(abort.body).toMatchObject({
      status: "CANCELLED",
      aborted: true,
      trafficPercent: 0,
      endedBy: { type: "API_KEY", id: writer.id },
    });
    expect(await db.auditEvent.findFirst({ where: { entityId: id, action: "rollback.aborted" } })).toMatchObject({
      actorType: "API_KEY",
      actorId: writer.id,
      reason: "the known-good model is being deprecated",
    });
    expect(await db.notification.count({ where: { rollbackId: id, event: "rollback.aborted" } })).toBe(1);
    // A retry with the same Idempotency-Key (signed afresh) answers the first response and aborts nothing twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const retry = await api("POST", `/api/v1/rollbacks/${id}/abort`, {
      key: writer,
      body: { reason: "the known-good model is being deprecated" },
      headers: { "idempotency-key": `abort-${id}` },
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  });

  it("refuses bad input with 422 by field, unsigned requests with 401, and changes nothing", async () => {
    const fixture = await lifecycleTarget(db);
    const id = await propose(fixture, new Date());
    const post = (body: unknown, options: { signature?: false } = {}) =>
      api("POST", `/api/v1/rollbacks/${id}/cancel`, { key: writer, body, ...options });

    for (const body of [{}, { reason: "" }, { reason: "   " }, { reason: "x".repeat(501) }, { reason: 7 }]) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys(response.body.error.issues)).toEqual(["reason"]);
    }
    const notObject = await post([1]);
    expect(notObject.status).toBe(422);
    expect(notObject.body.error.issues).toHaveProperty("_");
    const notJson = await post("{reason:");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("BAD_REQUEST");
    expect((await post({ reason: "unsigned" }, { signature: false })).status).toBe(401);
    expect(await rows(id)).toMatchObject({ status: "PENDING_APPROVAL", version: 0 });
    expect(await db.auditEvent.count({ where: { entityId: id } })).toBe(1);
  });

  it("offers no way to approve or reject: a person decides", async () => {
    const fixture = await lifecycleTarget(db);
    const id = await propose(fixture, new Date());
    for (const action of ["approve", "reject"]) {
      const response = await fetch(`${inject("baseUrl")}/api/v1/rollbacks/${id}/${action}`, {
        method: "POST",
        headers: { authorization: `Bearer ${writer.key}`, "content-type": "application/json" },
        body: JSON.stringify({ comment: "ok" }),
      });
      expect(response.status, action).toBe(404);
    }
    expect(await rows(id)).toMatchObject({ status: "PENDING_APPROVAL" });
  });
});

describe("POST /api/v1/targets/{slug}/rollbacks", () => {
  it("requests a manual rollback that waits for a person's approval", async () => {
    const fixture = await lifecycleTarget(db);
    const slug = fixture.target.slug;
    const request = (timestamp?: number) =>
      api("POST", `/api/v1/targets/${slug}/rollbacks`, {
        key: writer,
        body: { toVersion: 1, reason: "canary of v2 failed in CI" },
        headers: { "idempotency-key": `request-${slug}` },
        ...(timestamp !== undefined && { timestamp }),
      });
    const response = await request();
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      trigger: "MANUAL",
      status: "PENDING_APPROVAL",
      toSnapshot: { id: fixture.good.id, version: 1 },
      requestedBy: { type: "API_KEY", id: writer.id },
      reason: "canary of v2 failed in CI",
      policy: { approvalDeadline: expect.any(String) },
      timeline: [{ action: "rollback.created", actor: { type: "API_KEY", id: writer.id } }],
    });
    const id = response.body.id as string;
    expect(await db.notification.count({ where: { rollbackId: id } })).toBe(1);
    // A retry with the Idempotency-Key (signed afresh) replays the whole first response, not the summary stored
    // with the change in case the server died before answering.
    const retry = await request(Math.floor(Date.now() / 1000) + 1);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(response.body);
    expect(await db.rollback.count({ where: { targetId: fixture.target.id } })).toBe(1);

    const second = await api("POST", `/api/v1/targets/${slug}/rollbacks`, { key: writer, body: { reason: "again" } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("CONFLICT");

    // A person approves it, as any manual request.
    const approved = await approveRollback(db, { actor: userActor(approver.id), rollbackId: id }, new Date());
    expect(approved.status).toBe("APPROVED");
  });

  it("defaults to the known-good snapshot, and refuses what cannot be rolled back to", async () => {
    const fixture = await lifecycleTarget(db);
    const slug = fixture.target.slug;
    const post = (body: unknown) => api("POST", `/api/v1/targets/${slug}/rollbacks`, { key: writer, body });
    const issues = async (body: unknown, status = 422) => {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      return Object.keys(response.body.error.issues ?? {});
    };
    expect(await issues({ toVersion: 9, reason: "r" })).toEqual(["toVersion"]);
    expect(await issues({ toVersion: 0, reason: "r" })).toEqual(["toVersion"]);
    expect(await issues({ toVersion: "1", reason: "r" })).toEqual(["toVersion"]);
    expect(await issues({ toVersion: 1, toSnapshotId: fixture.good.id, reason: "r" })).toEqual(["toSnapshotId"]);
    expect(await issues({ toVersion: 1 })).toEqual(["reason"]);
    expect(await issues({ toVersion: 2, reason: "the current one" }, 409)).toEqual(["toSnapshotId"]);
    expect(await db.rollback.count({ where: { targetId: fixture.target.id } })).toBe(0);

    const other = await lifecycleTarget(db);
    expect((await post({ toSnapshotId: other.good.id, reason: "another target's" })).status).toBe(404);

    const byDefault = await post({ reason: "back to known-good" });
    expect(byDefault.status).toBe(201);
    expect(byDefault.body.toSnapshot).toEqual({ id: fixture.good.id, version: 1 });
  });
});

describe("keys and scopes", () => {
  it("limits a key to its targets: another target's rollbacks are 404, naming another target 403", async () => {
    const mine = await lifecycleTarget(db);
    const theirs = await lifecycleTarget(db);
    const myId = await propose(mine, new Date());
    const theirId = await propose(theirs, new Date());
    const limited = await makeKey(db, { scopes: ["rollbacks:read", "rollbacks:write"], targets: [mine.target.slug] });

    expect((await api("GET", `/api/v1/rollbacks/${myId}`, { key: limited })).status).toBe(200);
    const read = await api("GET", `/api/v1/rollbacks/${theirId}`, { key: limited });
    expect(read.status).toBe(404);
    expect(read.body.error.message).toBe("No such rollback");
    for (const action of ["cancel", "abort"]) {
      const response = await api("POST", `/api/v1/rollbacks/${theirId}/${action}`, {
        key: limited,
        body: { reason: `${action} theirs` },
      });
      expect(response.status, action).toBe(404);
    }
    expect(await rows(theirId)).toMatchObject({ status: "PENDING_APPROVAL", version: 0 });

    const all = await api("GET", "/api/v1/rollbacks?limit=100", { key: limited });
    expect((all.body as Page).items.map((item) => item.target.slug)).toEqual([mine.target.slug]);
    expect((await api("GET", `/api/v1/rollbacks?target=${theirs.target.slug}`, { key: limited })).status).toBe(403);
    const request = await api("POST", `/api/v1/targets/${theirs.target.slug}/rollbacks`, {
      key: limited,
      body: { reason: "not mine" },
    });
    expect(request.status).toBe(403);
  });

  it("refuses a key without the scope (403) and a request without a key (401)", async () => {
    const fixture = await lifecycleTarget(db);
    const id = await propose(fixture, new Date());
    const configReader = await makeKey(db, { scopes: ["config:read"] });
    expect((await api("GET", "/api/v1/rollbacks", { key: configReader })).status).toBe(403);
    expect((await api("GET", `/api/v1/rollbacks/${id}`, { key: configReader })).status).toBe(403);
    const readOnly = await api("POST", `/api/v1/rollbacks/${id}/cancel`, { key: reader, body: { reason: "r" } });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error.message).toMatch(/lacks the rollbacks:write scope/);
    expect((await api("GET", "/api/v1/rollbacks")).status).toBe(401);
    expect(await rows(id)).toMatchObject({ status: "PENDING_APPROVAL" });
  });
});

describe("Alertmanager withdrawing its proposal", () => {
  let alerts: TestKey;
  beforeAll(async () => {
    alerts = await makeKey(db, { scopes: ["ingest"], signed: false });
  });

  const alert = (slug: string, status: "firing" | "resolved", fingerprint: string, alertname = "HighErrorRate") => ({
    status,
    labels: { alertname, rewind_target: slug, severity: "critical" },
    annotations: { value: "0.12", threshold: "0.05" },
    startsAt: new Date(Date.now() - MINUTE).toISOString(),
    fingerprint,
  });
  const send = async (alertList: ReturnType<typeof alert>[]) => {
    const response = await api("POST", "/api/v1/alertmanager", {
      key: alerts,
      body: { version: "4", status: alertList[0]?.status, receiver: "rewind", alerts: alertList },
      signature: false,
    });
    expect(response.status).toBe(202);
    return (response.body as { targets: unknown[] }).targets[0] as Record<string, any>;
  };

  it("withdraws a pending proposal once the alert that raised it resolves, and not for another alert", async () => {
    const fixture = await lifecycleTarget(db);
    const slug = fixture.target.slug;
    const raised = await send([alert(slug, "firing", "fp-a")]);
    expect(raised).toMatchObject({
      decision: "PROPOSE_ROLLBACK",
      rollback: { status: "PENDING_APPROVAL", created: true },
      withdrawnRollback: null,
    });
    const id = raised.rollback.id as string;

    const other = await send([alert(slug, "resolved", "fp-b", "HighLatency")]);
    expect(other).toMatchObject({ verdict: { status: "HEALTHY" }, withdrawnRollback: null });
    expect(await rows(id)).toMatchObject({ status: "PENDING_APPROVAL" });

    const resolved = await send([alert(slug, "resolved", "fp-a")]);
    expect(resolved).toMatchObject({
      verdict: { status: "HEALTHY" },
      withdrawnRollback: { id, status: "CANCELLED", endReason: "alert resolved (HighErrorRate)" },
    });
    expect(await rows(id)).toMatchObject({
      status: "CANCELLED",
      activeTargetId: null,
      endedById: null,
      endReason: "alert resolved (HighErrorRate)",
    });
    expect(await db.auditEvent.findFirst({ where: { entityId: id, action: "rollback.cancelled" } })).toMatchObject({
      actorType: "SYSTEM",
      actorId: null,
      reason: "alert resolved (HighErrorRate)",
    });
    expect(await db.notification.count({ where: { rollbackId: id, event: "rollback.cancelled" } })).toBe(1);

    const read = await api("GET", `/api/v1/rollbacks/${id}`, { key: reader });
    expect(read.body).toMatchObject({ status: "CANCELLED", endedBy: { type: "SYSTEM" } });
  });

  it("keeps the proposal while another critical alert still fires, and keeps proposals others raised", async () => {
    // Two alerts raised it; one resolving while the other fires keeps it.
    const both = await lifecycleTarget(db);
    const raised = await send([alert(both.target.slug, "firing", "fp-1"), alert(both.target.slug, "firing", "fp-2")]);
    const id = raised.rollback.id as string;
    const half = await send([alert(both.target.slug, "resolved", "fp-1")]);
    expect(half.withdrawnRollback).toBeNull();
    expect(await rows(id)).toMatchObject({ status: "PENDING_APPROVAL" });
    const rest = await send([alert(both.target.slug, "resolved", "fp-2")]);
    expect(rest.withdrawnRollback).toMatchObject({ id, status: "CANCELLED" });

    // The cycle's proposal, and a person's request, stay when an alert of the target resolves.
    const cycle = await lifecycleTarget(db);
    const cycleId = await propose(cycle, new Date(Date.now() - MINUTE));
    expect((await send([alert(cycle.target.slug, "resolved", "fp-c")])).withdrawnRollback).toBeNull();
    expect(await rows(cycleId)).toMatchObject({ status: "PENDING_APPROVAL" });

    const person = await lifecycleTarget(db);
    const operator = await makeUser(db, "OPERATOR");
    const manual = await requestManualRollback(
      db,
      { actor: userActor(operator.id), targetId: person.target.id, toSnapshotId: person.good.id, reason: "by hand" },
      new Date(),
    );
    expect((await send([alert(person.target.slug, "resolved", "fp-d")])).withdrawnRollback).toBeNull();
    expect(await rows(manual.id)).toMatchObject({ status: "PENDING_APPROVAL" });
  });
});
