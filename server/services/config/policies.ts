// Versioned SLO policies: every save inserts the next version, so history shows who changed what when.
import "server-only";
import { z } from "zod";
import { type Prisma, type Db } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import { appendAudit, systemActor, userActor } from "../audit/audit-log";
import { personRef, principals, type PersonRef } from "../audit/principals";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

const policyVersionSelect = {
  id: true,
  targetId: true,
  version: true,
  config: true,
  createdById: true,
  createdAt: true,
} satisfies Prisma.PolicySelect;
type StoredPolicy = Prisma.PolicyGetPayload<{ select: typeof policyVersionSelect }>;

export interface PolicyVersionDto {
  targetId: string;
  /** Null for the default policy of a target that never saved one. */
  version: number | null;
  isDefault: boolean;
  policy: Policy;
  createdAt: Date | null;
  /** The user or API key that saved it; null for Rewind (and for versions keys saved before keys were named). */
  createdBy: PersonRef | null;
}

/**
 * Stored configs are parsed again on the way out: fields added to the schema later get their
 * defaults, and a row that no longer validates fails loudly rather than steering rollbacks.
 */
export function parseStoredPolicy(row: Pick<StoredPolicy, "targetId" | "version" | "config">): Policy {
  const result = policySchema.safeParse(row.config);
  if (!result.success) {
    throw new Error(
      `Stored policy version ${row.version} of target ${row.targetId} is invalid: ${result.error.message}`,
    );
  }
  return result.data;
}

function toDto(row: StoredPolicy, creators: Map<string, PolicyVersionDto["createdBy"]>): PolicyVersionDto {
  return {
    targetId: row.targetId,
    version: row.version,
    isDefault: false,
    policy: parseStoredPolicy(row),
    createdAt: row.createdAt,
    createdBy: row.createdById ? (creators.get(row.createdById) ?? null) : null,
  };
}

/** Users and keys are referenced by id only (no relation), so their names are looked up for display. */
async function creatorsOf(db: Db, rows: readonly StoredPolicy[]): Promise<Map<string, PolicyVersionDto["createdBy"]>> {
  const ids = [...new Set(rows.flatMap((row) => (row.createdById ? [row.createdById] : [])))];
  const principalOf = await principals(db, ids);
  return new Map(ids.map((id) => [id, personRef(principalOf(id))]));
}

async function requireTarget(db: Db, targetId: string): Promise<void> {
  if (!(await db.target.findUnique({ where: { id: targetId }, select: { id: true } }))) {
    throw new AppError("NOT_FOUND", "No such target");
  }
}

/** The latest version, or the default policy (`isDefault: true`) when none was saved. */
export async function getPolicy(db: Db, targetId: string): Promise<PolicyVersionDto> {
  await requireTarget(db, targetId);
  const row = await db.policy.findFirst({
    where: { targetId },
    orderBy: { version: "desc" },
    select: policyVersionSelect,
  });
  if (!row) {
    return { targetId, version: null, isDefault: true, policy: defaultPolicy, createdAt: null, createdBy: null };
  }
  return toDto(row, await creatorsOf(db, [row]));
}

/** Newest first. */
export async function listPolicyVersions(db: Db, targetId: string): Promise<PolicyVersionDto[]> {
  await requireTarget(db, targetId);
  const rows = await db.policy.findMany({
    where: { targetId },
    orderBy: { version: "desc" },
    select: policyVersionSelect,
  });
  const creators = await creatorsOf(db, rows);
  return rows.map((row) => toDto(row, creators));
}

const updatePolicySchema = z.object({
  actorId: z.string().min(1).nullable(),
  /** A machine client's key: audited as the key, and stored as the version's author like a user. */
  apiKeyId: z.string().min(1).optional(),
  targetId: z.string().min(1, "Target is required"),
  policy: z.unknown(),
});

/**
 * Saves the next version, audited as policy.updated with the version before and after (null actor: the
 * system). Field issues are keyed by policy field ("burnRate.factor"), as the form shows them. Two saves
 * at once both read version n; the unique (targetId, version) lets one insert n + 1 and the other retry
 * as n + 2, so neither is lost.
 */
export async function updatePolicy(db: Db, input: unknown, now: Date): Promise<PolicyVersionDto> {
  const { actorId, apiKeyId, targetId, policy: draft } = parseInput(updatePolicySchema, input);
  const policy = parseInput(policySchema, draft);
  await requireTarget(db, targetId);
  const row = await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const latest = await tx.policy.findFirst({
        where: { targetId },
        orderBy: { version: "desc" },
        select: { version: true, config: true },
      });
      const created = await tx.policy.create({
        data: {
          targetId,
          version: (latest?.version ?? 0) + 1,
          config: policy,
          createdById: apiKeyId ?? actorId,
          createdAt: now,
        },
        select: policyVersionSelect,
      });
      await appendAudit(
        tx,
        {
          actor: apiKeyId ? { type: "API_KEY", id: apiKeyId } : actorId ? userActor(actorId) : systemActor,
          action: "policy.updated",
          entityType: "Policy",
          entityId: created.id,
          targetId,
          before: latest && { version: latest.version, policy: latest.config as JsonValue },
          after: { version: created.version, policy },
        },
        now,
      );
      return created;
    }),
  );
  return toDto(row, await creatorsOf(db, [row]));
}

/**
 * The latest stored policy row of every target matching `where`, in one query (targets without one
 * are absent). Rows stay unparsed so that one invalid policy fails only its own target's evaluation.
 */
export async function loadLatestPolicies(
  db: Db,
  where: Prisma.TargetWhereInput,
): Promise<Map<string, Pick<StoredPolicy, "targetId" | "version" | "config">>> {
  const rows = await db.policy.findMany({
    where: { target: where },
    orderBy: [{ targetId: "asc" }, { version: "desc" }],
    distinct: ["targetId"],
    select: { targetId: true, version: true, config: true },
  });
  return new Map(rows.map((row) => [row.targetId, row]));
}
