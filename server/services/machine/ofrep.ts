// What OpenFeature SDKs call (OFREP, docs/API.md "OpenFeature (OFREP)"): one flag or every flag an API key may
// read, evaluated for the request's context, with OFREP's reasons, variants, metadata and failures.
import "server-only";
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import {
  FLAG_ON_OFF_ACTIONS,
  evaluateFlag,
  flagMetadata,
  ofrepRequestSchema,
  turnedOffBy,
  type EvaluationReason,
  type FlagMetadata,
} from "../../domain/flag-evaluation";
import { flagKeySchema } from "../../domain/flags";
import { assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import { parseInput } from "../platform/validation";

export interface OfrepSuccess {
  key: string;
  value: boolean;
  reason: EvaluationReason;
  variant: "on" | "off";
  metadata: FlagMetadata;
}

export interface OfrepFailure {
  key: string;
  errorCode: "FLAG_NOT_FOUND" | "TARGETING_KEY_MISSING";
  errorDetails: string;
}

export type OfrepEvaluation = OfrepSuccess | OfrepFailure;

export interface OfrepBulkEvaluation {
  flags: OfrepEvaluation[];
  /** The target whose flags were evaluated beside the global ones. */
  metadata?: { target: string };
}

type OfrepKey = Pick<ApiKeyDto, "prefix" | "targetSlugs">;

const flagSelect = {
  id: true,
  key: true,
  enabled: true,
  killSwitch: true,
  percent: true,
  targetId: true,
} satisfies Prisma.FeatureFlagSelect;
type FlagRow = Prisma.FeatureFlagGetPayload<{ select: typeof flagSelect }>;

interface Scope {
  targetingKey: string | undefined;
  /** Whose target flags are read beside the global ones; null: global flags only. */
  target: { id: string; slug: string } | null;
}

/**
 * The context's `target` (which the key must be allowed), else the key's one target when it is limited to
 * exactly one. A context that breaks the schema or names no existing target is a VALIDATION error
 * (INVALID_CONTEXT); a target outside the key's list is FORBIDDEN.
 */
async function scopeOf(db: Db, key: OfrepKey, body: unknown): Promise<Scope> {
  const { context } = parseInput(ofrepRequestSchema, body);
  const targetingKey = context.targetingKey || undefined;
  if (context.target !== undefined) {
    assertKeyMayUseTarget(key, context.target);
    const target = await db.target.findUnique({ where: { slug: context.target }, select: { id: true, slug: true } });
    if (!target) {
      throw new AppError("VALIDATION", `Invalid input: context.target: no target '${context.target}'`, {
        issues: { "context.target": `No target '${context.target}'` },
      });
    }
    return { targetingKey, target };
  }
  const [only, ...others] = key.targetSlugs ?? [];
  if (only === undefined || others.length > 0) return { targetingKey, target: null };
  const target = await db.target.findUnique({ where: { slug: only }, select: { id: true, slug: true } });
  return { targetingKey, target };
}

function notFound(flagKey: string, scope: Scope): OfrepFailure {
  const hint = scope.target
    ? ` among the global flags and those of target '${scope.target.slug}'`
    : ": a target's flags are read with the `target` context attribute";
  return { key: flagKey, errorCode: "FLAG_NOT_FOUND", errorDetails: `Flag '${flagKey}' was not found${hint}` };
}

const keysSchema = z.array(z.string());

/**
 * Evaluates flags and gives each its metadata. Only kill switches that are off cost more reads: the emergency
 * stop, each one's last on/off audit event and the emergency rollbacks requested at those instants.
 */
async function evaluateRows(db: Db, flags: FlagRow[], targetingKey: string | undefined): Promise<OfrepEvaluation[]> {
  const killSwitchesOff = flags.filter((flag) => flag.killSwitch && !flag.enabled);
  let emergencyStopActive = false;
  const lastChanges = new Map<string, { action: string; at: Date }>();
  let rollbacks: { id: string; requestedAt: Date; flagsTurnedOff: string[] }[] = [];
  if (killSwitchesOff.length > 0) {
    const [state, events] = await Promise.all([
      db.systemState.findUnique({ where: { id: "global" }, select: { emergencyStopActive: true } }),
      db.auditEvent.findMany({
        where: {
          entityType: "FeatureFlag",
          entityId: { in: killSwitchesOff.map((flag) => flag.id) },
          action: { in: FLAG_ON_OFF_ACTIONS },
        },
        orderBy: { sequence: "desc" },
        distinct: ["entityId"],
        select: { entityId: true, action: true, at: true },
      }),
    ]);
    emergencyStopActive = state?.emergencyStopActive ?? false;
    for (const event of events) lastChanges.set(event.entityId, event);
    const instants = events.map((event) => event.at);
    if (instants.length > 0) {
      const rows = await db.rollback.findMany({
        where: { trigger: "EMERGENCY", requestedAt: { in: instants } },
        select: { id: true, requestedAt: true, flagsTurnedOff: true },
      });
      rollbacks = rows.map((row) => ({ ...row, flagsTurnedOff: keysSchema.catch([]).parse(row.flagsTurnedOff ?? []) }));
    }
  }
  return flags.map((flag) => {
    const evaluation = evaluateFlag(flag, targetingKey);
    if ("errorCode" in evaluation) return { key: flag.key, ...evaluation };
    const offBy = turnedOffBy(flag, lastChanges.get(flag.id) ?? null, rollbacks);
    return {
      key: flag.key,
      ...evaluation,
      metadata: flagMetadata(flag, { turnedOffBy: offBy, emergencyStopActive }),
    };
  });
}

/** One flag: a global one, or one of the scope's target; FLAG_NOT_FOUND for any other. */
export async function evaluateOfrepFlag(
  db: Db,
  input: { key: OfrepKey; flagKey: string; body: unknown },
): Promise<OfrepEvaluation> {
  const scope = await scopeOf(db, input.key, input.body);
  // A key no flag can have (the path is free text) is simply not found.
  const flag = flagKeySchema.safeParse(input.flagKey).success
    ? await db.featureFlag.findUnique({ where: { key: input.flagKey }, select: flagSelect })
    : null;
  if (!flag || (flag.targetId !== null && flag.targetId !== scope.target?.id)) return notFound(input.flagKey, scope);
  const [evaluation] = await evaluateRows(db, [flag], scope.targetingKey);
  return evaluation ?? notFound(input.flagKey, scope);
}

/** Every global flag and, with a target in scope, that target's, by key. */
export async function evaluateOfrepFlags(
  db: Db,
  input: { key: OfrepKey; body: unknown },
): Promise<OfrepBulkEvaluation> {
  const scope = await scopeOf(db, input.key, input.body);
  const flags = await db.featureFlag.findMany({
    where: { OR: [{ targetId: null }, ...(scope.target ? [{ targetId: scope.target.id }] : [])] },
    select: flagSelect,
    orderBy: { key: "asc" },
  });
  const evaluations = await evaluateRows(db, flags, scope.targetingKey);
  return { flags: evaluations, ...(scope.target && { metadata: { target: scope.target.slug } }) };
}
