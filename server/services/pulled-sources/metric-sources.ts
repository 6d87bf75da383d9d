// A target's pulled metric source, as admins and config-as-code manage it: read (never the secret), save (the
// whole source; the secret write-only, sealed with secret-box.ts bound to the row) and remove, each change
// audited as metric_source.saved / metric_source.deleted with what changed. docs/INTEGRATIONS.md.
import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { Prisma, type Db, type Tx } from "../../db";
import { canonicalJson, type JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import {
  inputSecret,
  metricSourceInputSchema,
  secretField,
  type MetricSourceKind,
  type ParsedMetricSourceInput,
} from "../../domain/pulled-sources/config";
import type { PulledReadings } from "../../domain/pulled-sources/readings";
import { sloReadingsShape } from "../../domain/slo";
import { actorIdOf, appendAudit, type WithActor } from "../audit/audit-log";
import { getTarget, getTargetBySlug } from "../config/targets";
import { retryOnConflict } from "../platform/retry";
import { openSecret, sealSecret } from "../platform/secret-box";
import { parseInput } from "../platform/validation";

/** Everything of the row a client may see: not `secretSealed`. */
const sourceSelect = {
  id: true,
  targetId: true,
  kind: true,
  enabled: true,
  config: true,
  lastPulledAt: true,
  lastReadings: true,
  lastError: true,
  savedAt: true,
} satisfies Prisma.MetricSourceSelect;
type SourceRow = Prisma.MetricSourceGetPayload<{ select: typeof sourceSelect }> & { secretSealed: string | null };

const lastReadingsSchema = z.object({ requestCount: z.number(), readings: z.object(sloReadingsShape) });

export interface MetricSourceDto {
  targetId: string;
  kind: MetricSourceKind;
  enabled: boolean;
  /**
   * As saved (always an object: only parsed configs are written); a config this version cannot read is shown as
   * stored, and its pulls fail saying why.
   */
  config: Record<string, unknown>;
  /** Whether a bearer token / secret access key is saved. The secret itself is never returned. */
  secretSet: boolean;
  lastPulledAt: Date | null;
  lastReadings: PulledReadings | null;
  lastError: string | null;
  savedAt: Date;
}

function toDto(row: SourceRow): MetricSourceDto {
  const readings = lastReadingsSchema.safeParse(row.lastReadings);
  return {
    targetId: row.targetId,
    kind: row.kind,
    enabled: row.enabled,
    config: row.config as Record<string, unknown>,
    secretSet: row.secretSealed !== null,
    lastPulledAt: row.lastPulledAt,
    lastReadings: readings.success ? readings.data : null,
    lastError: row.lastError,
    savedAt: row.savedAt,
  };
}

/** The associated data binding a sealed secret to its row: copied onto another row, it does not open. */
export function secretBinding(sourceId: string): string {
  return `metric-source:${sourceId}`;
}

/** The saved secret in clear, for a pull; null when none is saved. */
export function openSourceSecret(
  row: { id: string; kind: MetricSourceKind; secretSealed: string | null },
  encryptionKey: () => Buffer,
): string | null {
  if (row.secretSealed === null) return null;
  return openSecret(row.secretSealed, secretBinding(row.id), encryptionKey(), `The ${secretField[row.kind]}`);
}

async function findSource(db: Db | Tx, targetId: string): Promise<SourceRow | null> {
  return db.metricSource.findUnique({ where: { targetId }, select: { ...sourceSelect, secretSealed: true } });
}

export async function getMetricSource(db: Db, targetId: string): Promise<MetricSourceDto | null> {
  await getTarget(db, targetId);
  const row = await findSource(db, targetId);
  return row && toDto(row);
}

export type MetricSourceListItem = MetricSourceDto & { target: { id: string; slug: string; name: string } };

/** Every target's source, by target slug: the console's table of what each target reads and how it went. */
export async function listMetricSources(db: Db): Promise<MetricSourceListItem[]> {
  const rows = await db.metricSource.findMany({
    select: { ...sourceSelect, secretSealed: true, target: { select: { id: true, slug: true, name: true } } },
    orderBy: { target: { slug: "asc" } },
  });
  return rows.map(({ target, ...row }) => ({ ...toDto(row), target }));
}

/** What the audit history keeps of a source: everything but the secret, of which only set/unset/replaced. */
function audited(
  source: { kind: MetricSourceKind; enabled: boolean; config: unknown },
  secret: "set" | "unset" | "replaced",
): JsonValue {
  return { kind: source.kind, enabled: source.enabled, config: source.config as JsonValue, secret };
}

/**
 * The secret the saved source will hold: the one given, else the saved one when the kind stays the same (a
 * token is no secret access key), else none. Refuses a CloudWatch access key id without its secret and a
 * secret without its key id, on the field to fill in.
 */
function secretAfter(
  input: ParsedMetricSourceInput,
  saved: { kind: MetricSourceKind; secret: () => string | null } | null,
): string | null {
  const given = inputSecret(input);
  const secret = given !== undefined ? given : saved?.kind === input.kind ? saved.secret() : null;
  if (input.kind === "CLOUDWATCH") {
    if (input.config.accessKeyId && !secret)
      throw new AppError("VALIDATION", "Enter the secret access key of the access key id", {
        issues: { secretAccessKey: "Enter the secret access key of this access key id" },
      });
    if (!input.config.accessKeyId && given)
      throw new AppError("VALIDATION", "Enter the access key id the secret access key belongs to", {
        issues: { "config.accessKeyId": "Enter the access key id this secret belongs to, or leave both out" },
      });
  }
  return secret;
}

/**
 * Creates or replaces the target's source (the whole of it is sent; only the secret may be left out to keep
 * it). Saving what is saved changes nothing and records nothing. `created` and `changed` say what happened.
 */
export async function saveMetricSource(
  db: Db,
  { actor, targetId, source }: WithActor<{ targetId: string; source: unknown }>,
  options: { now: Date; encryptionKey: () => Buffer },
): Promise<{ source: MetricSourceDto; created: boolean; changed: boolean }> {
  const input = parseInput(metricSourceInputSchema, source);
  await getTarget(db, targetId);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await findSource(tx, targetId);
      const savedSecret = () => (row ? openSourceSecret(row, options.encryptionKey) : null);
      const secret = secretAfter(input, row && { kind: row.kind, secret: savedSecret });
      const given = inputSecret(input);
      // Compared in clear: a saved secret that no longer opens (the encryption key changed) counts as replaced.
      const sameSecret = () => {
        if (!row || row.kind !== input.kind) return secret === null && row?.secretSealed == null;
        if (given === undefined) return true;
        try {
          return savedSecret() === secret;
        } catch {
          return false;
        }
      };
      const secretState = secret === null ? "unset" : row?.secretSealed && !sameSecret() ? "replaced" : "set";
      const after = audited(input, secretState);
      if (
        row &&
        row.kind === input.kind &&
        row.enabled === input.enabled &&
        canonicalJson(row.config) === canonicalJson(input.config) &&
        sameSecret()
      ) {
        return { source: toDto(row), created: false, changed: false };
      }
      const id = row?.id ?? randomUUID();
      const data = {
        kind: input.kind,
        enabled: input.enabled,
        config: input.config as Prisma.InputJsonValue,
        secretSealed: secret === null ? null : sealSecret(secret, secretBinding(id), options.encryptionKey()),
        updatedById: actorIdOf(actor),
        savedAt: options.now,
        // What the previous configuration read says nothing of this one: its first pull tells.
        lastPulledAt: null,
        lastReadings: Prisma.DbNull,
        lastError: null,
      };
      const saved = row
        ? await tx.metricSource.update({ where: { id }, data, select: { ...sourceSelect, secretSealed: true } })
        : await tx.metricSource.create({
            data: { ...data, id, targetId, createdAt: options.now },
            select: { ...sourceSelect, secretSealed: true },
          });
      await appendAudit(
        tx,
        {
          actor,
          action: "metric_source.saved",
          entityType: "MetricSource",
          entityId: id,
          targetId,
          before: row && audited(row, row.secretSealed === null ? "unset" : "set"),
          after,
        },
        options.now,
      );
      return { source: toDto(saved), created: row === null, changed: true };
    }),
  );
}

/** Removes the target's source: the pass judges its stored buckets again. False when it had none. */
export async function deleteMetricSource(
  db: Db,
  { actor, targetId }: WithActor<{ targetId: string }>,
  now: Date,
): Promise<{ deleted: boolean }> {
  await getTarget(db, targetId);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await findSource(tx, targetId);
      if (!row) return { deleted: false };
      await tx.metricSource.delete({ where: { id: row.id } });
      await appendAudit(
        tx,
        {
          actor,
          action: "metric_source.deleted",
          entityType: "MetricSource",
          entityId: row.id,
          targetId,
          before: audited(row, row.secretSealed === null ? "unset" : "set"),
        },
        now,
      );
      return { deleted: true };
    }),
  );
}

/** The machine API names targets by slug. */
export async function targetIdOfSlug(db: Db, slug: string): Promise<string> {
  return (await getTargetBySlug(db, slug)).id;
}
