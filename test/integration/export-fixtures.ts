// Data and references for the export tests (integration and http): thousands of audit events appended in bulk on a
// valid chain (the chain is shared by every test of the run), thousands of rollbacks, and each export computed the
// straightforward way, whole and in memory, for the streamed one to equal.
import { randomBytes } from "node:crypto";
import type { Db } from "@/server/db";
import { auditFilterSchema, type AuditFilter } from "@/server/domain/audit";
import { linkAuditEvent, type AuditLink } from "@/server/domain/audit-chain";
import { storableJson, type JsonValue } from "@/server/domain/canonical-json";
import { toCsv } from "@/server/domain/csv";
import { rollbackFilterSchema, type RollbackFilter } from "@/server/domain/rollback-inputs";
import { createApiKey } from "@/server/services/access/api-keys";
import { auditChainKeyring } from "@/server/services/audit/audit-chain-key";
import { checkpointLinesForExport } from "@/server/services/audit/audit-checkpoints";
import { auditEventSelect, commandLineActor, systemActor, type Actor } from "@/server/services/audit/audit-log";
import { auditWhere, withActors } from "@/server/services/audit/audit-reads";
import { rollbackWhere } from "@/server/services/rollbacks/history";
import { rollbackRowSelect } from "@/server/services/rollbacks/rows";
import { lookups, toSummary } from "@/server/services/rollbacks/views";
import { makeTarget, makeUser } from "./helpers";
import { createSnapshot } from "./lifecycle-fixtures";

export async function textOf(chunks: AsyncIterable<string>): Promise<{ text: string; chunks: number }> {
  let text = "";
  let count = 0;
  for await (const chunk of chunks) {
    text += chunk;
    count += 1;
  }
  return { text, chunks: count };
}

export interface ExportEvent {
  actor: Actor;
  action: string;
  entityType: string;
  entityId: string;
  targetId: string | null;
  before: JsonValue | null;
  after: JsonValue | null;
  reason: string | null;
  at: Date;
}

/** Appends as appendAudit would, one transaction and a few inserts for thousands: the chain still verifies. */
export async function appendAuditBulk(db: Db, events: readonly ExportEvent[]): Promise<void> {
  const key = auditChainKeyring().current;
  await db.$transaction(
    async (tx) => {
      let last: AuditLink = await tx.auditEvent.findFirst({
        orderBy: { sequence: "desc" },
        select: { sequence: true, hash: true },
      });
      const rows = events.map((event) => {
        const linked = linkAuditEvent(
          last,
          {
            at: event.at.toISOString(),
            actorType: event.actor.type,
            actorId: event.actor.type === "SYSTEM" ? (event.actor.via ?? null) : event.actor.id,
            action: event.action,
            entityType: event.entityType,
            entityId: event.entityId,
            targetId: event.targetId,
            before: storableJson(event.before),
            after: storableJson(event.after),
            reason: event.reason,
          },
          key,
        );
        last = { sequence: linked.sequence, hash: linked.hash };
        return { ...linked, at: event.at, before: linked.before ?? undefined, after: linked.after ?? undefined };
      });
      for (let i = 0; i < rows.length; i += 500) await tx.auditEvent.createMany({ data: rows.slice(i, i + 500) });
    },
    { timeout: 120_000 },
  );
}

const reasons = [null, 'He said "roll back, now"\nthen left', "=HYPERLINK(1)", "-5 %", "plain, with a comma", "@here"];
const documents: (JsonValue | null)[] = [null, { note: 'a,"b"' }, [1, "two"], "text\twith tab", { nested: { n: 1.5 } }];

/**
 * `count` events of a new entity type (the tests filter on it), one a second from `start`: actors of every kind
 * (a user, a key, a deleted key, Rewind, the command line), targets that exist, do not, or none, and reasons and
 * JSON a spreadsheet or a parser could trip on. Actions cycle through `export.a.*`, `export.b.*`, `export.c.*`.
 */
export async function seedAuditEvents(db: Db, count: number, start: number) {
  const entityType = `Export${randomBytes(4).toString("hex")}`;
  const [operator, target, { apiKey }] = await Promise.all([
    makeUser(db, "OPERATOR"),
    makeTarget(db),
    createApiKey(
      db,
      { actor: systemActor, name: `export key ${entityType}`, scopes: ["ingest"] },
      { now: new Date(start), encryptionKey: randomBytes(32) },
    ),
  ]);
  const actors: Actor[] = [
    { type: "USER", id: operator.id },
    { type: "API_KEY", id: apiKey.id },
    { type: "API_KEY", id: `deleted-${entityType}` },
    systemActor,
    commandLineActor("ops@host"),
  ];
  const targets = [target.id, null, `gone-${entityType}`];
  const events = Array.from({ length: count }, (_, i): ExportEvent => ({
    actor: actors[i % actors.length]!,
    action: `export.${"abc"[i % 3]}.${i % 7}`,
    entityType,
    entityId: `e${i % 11}`,
    targetId: targets[i % targets.length]!,
    before: documents[i % documents.length]!,
    after: documents[(i + 2) % documents.length]!,
    reason: reasons[i % reasons.length]!,
    at: new Date(start + i * 1_000),
  }));
  await appendAuditBulk(db, events);
  return { entityType, operator, apiKey, target };
}

const auditColumns = [
  "sequence",
  "at",
  "actorType",
  "actorId",
  "actorEmail",
  "actorName",
  "action",
  "entityType",
  "entityId",
  "targetId",
  "targetSlug",
  "targetName",
  "reason",
  "before",
  "after",
] as const;

/** The audit export as it was built before it streamed: every event read at once, actors resolved once. */
export async function auditExportReference(db: Db, filter: AuditFilter, format: "csv" | "json"): Promise<string> {
  const rows = await db.auditEvent.findMany({
    where: auditWhere(auditFilterSchema.parse(filter)),
    orderBy: { sequence: "asc" },
    select: auditEventSelect,
  });
  const events = await withActors(db, rows);
  if (format === "json") return JSON.stringify({ events, checkpoints: await checkpointLinesForExport(db) }, null, 2);
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  return toCsv(
    auditColumns,
    events.map((event) => ({
      sequence: event.sequence,
      at: event.at.toISOString(),
      actorType: event.actorType,
      actorId: event.actorId,
      actorEmail: event.actor?.email ?? null,
      actorName:
        event.actor?.name ??
        (event.actorId?.startsWith("cli:") ? `Command line (${event.actorId.slice(4)})` : "Rewind"),
      action: event.action,
      entityType: event.entityType,
      entityId: event.entityId,
      targetId: event.targetId,
      targetSlug: event.target?.slug ?? null,
      targetName: event.target?.name ?? null,
      reason: event.reason,
      before: json(event.before),
      after: json(event.after),
    })),
  );
}

/**
 * `count` ended rollbacks of a new target requested at only `distinctTimes` different times from `start` (an hour
 * apart), so pages end inside runs of equal times and the order falls back on the id.
 */
export async function seedRollbacks(db: Db, count: number, start: number, distinctTimes = 7) {
  const target = await makeTarget(db);
  const v1 = await createSnapshot(db, target.id, 1);
  const v2 = await createSnapshot(db, target.id, 2);
  const requester = await makeUser(db, "OPERATOR");
  const statuses = ["COMPLETED", "CANCELLED", "REJECTED", "FAILED"] as const;
  const rows = Array.from({ length: count }, (_, i) => ({
    targetId: target.id,
    trigger: (["SLO", "MANUAL", "EMERGENCY"] as const)[i % 3]!,
    status: statuses[i % statuses.length]!,
    fromSnapshotId: v2.id,
    toSnapshotId: v1.id,
    steps: [25, 100],
    currentStep: 1,
    trafficPercent: 100,
    approvalsRequired: i % 2,
    requestedById: i % 5 === 0 ? requester.id : null,
    requestedAt: new Date(start + (i % distinctTimes) * 3_600_000),
    reason: reasons[i % reasons.length]!,
    startedAt: i % 4 === 0 ? null : new Date(start + (i % distinctTimes) * 3_600_000 + 90_000),
    endedAt: new Date(start + (i % distinctTimes) * 3_600_000 + 600_000),
    aborted: i % 9 === 0,
  }));
  for (let i = 0; i < rows.length; i += 500) await db.rollback.createMany({ data: rows.slice(i, i + 500) });
  return { target, requester };
}

/** The rollback export as it was built before it streamed: every rollback read at once. */
export async function rollbackExportReference(db: Db, filter: RollbackFilter, format: "csv" | "json"): Promise<string> {
  const rows = await db.rollback.findMany({
    where: rollbackWhere(rollbackFilterSchema.parse(filter)),
    orderBy: [{ requestedAt: "desc" }, { id: "desc" }],
    select: rollbackRowSelect,
  });
  const found = await lookups(db, rows);
  const items = rows.map((row) => toSummary(row, found));
  if (format === "json") return JSON.stringify(items, null, 2);
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  const person = (ref: { email: string | null; name: string } | null) => (ref ? (ref.email ?? ref.name) : null);
  return toCsv(
    rollbackColumns,
    items.map((item) => ({
      id: item.id,
      targetSlug: item.target.slug,
      targetName: item.target.name,
      trigger: item.trigger,
      status: item.status,
      requestedAt: item.requestedAt.toISOString(),
      requestedBy: person(item.requestedBy),
      reason: item.reason,
      fromVersion: item.fromSnapshot.version,
      toVersion: item.toSnapshot.version,
      steps: item.steps.join("/"),
      trafficPercent: item.trafficPercent,
      approvalsRequired: item.approvalsRequired,
      approvals: item.approvalCount,
      startedAt: iso(item.startedAt),
      timeToActionSeconds: item.timeToActionMs === null ? null : item.timeToActionMs / 1000,
      endedAt: iso(item.endedAt),
      endedBy: person(item.endedBy),
      endReason: item.endReason,
      aborted: item.aborted,
      verification: item.verification,
      verifiedAt: iso(item.verifiedAt),
    })),
  );
}

const rollbackColumns = [
  "id",
  "targetSlug",
  "targetName",
  "trigger",
  "status",
  "requestedAt",
  "requestedBy",
  "reason",
  "fromVersion",
  "toVersion",
  "steps",
  "trafficPercent",
  "approvalsRequired",
  "approvals",
  "startedAt",
  "timeToActionSeconds",
  "endedAt",
  "endedBy",
  "endReason",
  "aborted",
  "verification",
  "verifiedAt",
] as const;
