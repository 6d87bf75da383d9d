// Target mapping rules (Settings → Integrations, PUT /api/v1/intake/rules): which target OTLP calls go to by their
// resource's service.name, operation and model when they name none. Loaded once per intake request; changed by admins
// one rule at a time or replaced whole by a config-as-code job, each change audited. Matching:
// server/domain/intake/target-rules.ts; docs/INTEGRATIONS.md ("Target mapping rules").
import "server-only";
import type { Db, Prisma, Tx } from "../../db";
import { AppError, type FieldIssues } from "../../domain/errors";
import {
  compareSpecificity,
  deleteTargetRuleSchema,
  sameMatch,
  targetRuleSchema,
  targetRuleSetSchema,
  TargetRuleSet,
  updateTargetRuleSchema,
  type TargetRule,
} from "../../domain/intake/target-rules";
import type { ApiKeyDto } from "../access/api-keys";
import { appendAudit, type WithActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

const ENTITY = "IntakeTargetRule";

const ruleSelect = {
  id: true,
  serviceName: true,
  operationName: true,
  model: true,
  targetId: true,
  createdAt: true,
  updatedAt: true,
  target: { select: { slug: true, name: true } },
} satisfies Prisma.IntakeTargetRuleSelect;
type RuleRow = Prisma.IntakeTargetRuleGetPayload<{ select: typeof ruleSelect }>;

/** A rule as pages and the machine API show it. */
export interface TargetRuleDto {
  id: string;
  serviceName: string;
  operationName: string;
  model: string;
  target: string;
  targetName: string;
  createdAt: Date;
  updatedAt: Date;
}

function toDto(row: RuleRow): TargetRuleDto {
  const { target, targetId: _targetId, ...rest } = row;
  return { ...rest, target: target.slug, targetName: target.name };
}

/** What the audit history keeps of a rule: its fields, the target by slug. */
function audited(rule: TargetRule) {
  return { serviceName: rule.serviceName, operationName: rule.operationName, model: rule.model, target: rule.target };
}

/**
 * The rules as an intake request applies them, compiled once for the request. Raw SQL, as the intake's own target
 * lookup: the path is as hot as /api/v1/ingest, and with no rules this is one indexless scan of an empty table.
 */
export async function loadTargetRules(db: Db): Promise<TargetRuleSet> {
  const rows = await db.$queryRaw<TargetRule[]>`
    SELECT r."serviceName", r."operationName", r."model", t."slug" AS "target"
    FROM "IntakeTargetRule" r JOIN "Target" t ON t."id" = r."targetId"`;
  return rows.length === 0 ? TargetRuleSet.empty : new TargetRuleSet(rows);
}

/** Every rule, most specific first: the order in which they are tried. */
export async function listTargetRules(db: Db | Tx, options: { targetSlugs?: readonly string[] | null } = {}) {
  const rows = await db.intakeTargetRule.findMany({
    select: ruleSelect,
    ...(options.targetSlugs && { where: { target: { slug: { in: [...options.targetSlugs] } } } }),
  });
  const dtos = rows.map(toDto);
  return dtos.sort(compareSpecificity);
}

/** Target ids by slug; a slug without a target is an issue at `pathOf(index)`. */
async function targetIds(
  tx: Tx,
  slugs: readonly string[],
  pathOf: (index: number) => string,
): Promise<Map<string, string>> {
  const rows = await tx.target.findMany({
    where: { slug: { in: [...new Set(slugs)] } },
    select: { id: true, slug: true },
  });
  const ids = new Map(rows.map((row) => [row.slug, row.id]));
  const issues: FieldIssues = {};
  slugs.forEach((slug, i) => {
    if (!ids.has(slug)) issues[pathOf(i)] ??= `No such target: ${slug}`;
  });
  if (Object.keys(issues).length > 0) {
    throw new AppError(
      "VALIDATION",
      `Invalid input: ${Object.entries(issues)
        .slice(0, 5)
        .map(([path, message]) => `${path}: ${message}`)
        .join("; ")}`,
      { issues },
    );
  }
  return ids;
}

/** Another rule with the same three fields refuses the save, on the service.name field. */
async function assertNoTwin(tx: Tx, rule: TargetRule, exceptId?: string): Promise<void> {
  const twin = await tx.intakeTargetRule.findFirst({
    where: {
      serviceName: rule.serviceName,
      operationName: rule.operationName,
      model: rule.model,
      ...(exceptId && { id: { not: exceptId } }),
    },
    select: { target: { select: { slug: true } } },
  });
  if (twin) {
    const message = `A rule with this service.name, operation and model exists already (→ ${twin.target.slug}): edit it instead`;
    throw new AppError("VALIDATION", message, { issues: { serviceName: message } });
  }
}

export async function createTargetRule(
  db: Db,
  { actor, ...input }: WithActor<Record<string, unknown>>,
  now: Date,
): Promise<TargetRuleDto> {
  const rule = parseInput(targetRuleSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const ids = await targetIds(tx, [rule.target], () => "target");
      await assertNoTwin(tx, rule);
      const targetId = ids.get(rule.target) as string;
      const { target: _slug, ...fields } = rule;
      const row = await tx.intakeTargetRule.create({
        data: { ...fields, targetId, createdAt: now, updatedAt: now },
        select: ruleSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "integration.target_rule_created",
          entityType: ENTITY,
          entityId: row.id,
          targetId,
          after: audited(rule),
        },
        now,
      );
      return toDto(row);
    }),
  );
}

/** A save that changes nothing records nothing. */
export async function updateTargetRule(
  db: Db,
  { actor, ...input }: WithActor<Record<string, unknown>>,
  now: Date,
): Promise<TargetRuleDto> {
  const { id, ...rule } = parseInput(updateTargetRuleSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const existing = await tx.intakeTargetRule.findUnique({ where: { id }, select: ruleSelect });
      if (!existing) throw new AppError("NOT_FOUND", "No such target mapping rule: it may have been deleted");
      const before = { ...toDto(existing) };
      if (sameMatch(before, rule) && before.target === rule.target) return before;
      const ids = await targetIds(tx, [rule.target], () => "target");
      await assertNoTwin(tx, rule, id);
      const targetId = ids.get(rule.target) as string;
      const { target: _slug, ...fields } = rule;
      const row = await tx.intakeTargetRule.update({
        where: { id },
        data: { ...fields, targetId, updatedAt: now },
        select: ruleSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "integration.target_rule_updated",
          entityType: ENTITY,
          entityId: id,
          targetId,
          before: audited(before),
          after: audited(rule),
        },
        now,
      );
      return toDto(row);
    }),
  );
}

export async function deleteTargetRule(
  db: Db,
  { actor, ...input }: WithActor<Record<string, unknown>>,
  now: Date,
): Promise<void> {
  const { id } = parseInput(deleteTargetRuleSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const existing = await tx.intakeTargetRule.findUnique({ where: { id }, select: ruleSelect });
      if (!existing) throw new AppError("NOT_FOUND", "No such target mapping rule: it may have been deleted");
      await tx.intakeTargetRule.delete({ where: { id } });
      await appendAudit(
        tx,
        {
          actor,
          action: "integration.target_rule_deleted",
          entityType: ENTITY,
          entityId: id,
          targetId: existing.targetId,
          before: audited(toDto(existing)),
        },
        now,
      );
    }),
  );
}

/**
 * Settings that span every target (the target mapping rules, the SNS settings): only a key for every target may
 * change them. `why` says how they span them, in the refusal.
 */
export function assertKeyForAllTargets(key: Pick<ApiKeyDto, "prefix" | "targetSlugs">, why: string): void {
  if (key.targetSlugs !== null) {
    throw new AppError(
      "FORBIDDEN",
      `API key ${key.prefix}… is limited to some targets; ${why}: use a key for all targets`,
    );
  }
}

/**
 * Config as code: the rules become exactly `body.rules` (replace-all). Rules whose fields and target stay are kept
 * as they are, the rest updated, deleted or created; one audit event lists the set before and after. Applying the
 * same set again changes nothing and records nothing. Any bad rule refuses the whole set (issues by path,
 * `rules.3.target`), and nothing is written.
 */
export async function replaceTargetRules(
  db: Db,
  { actor, key, body }: WithActor<{ key: Pick<ApiKeyDto, "prefix" | "targetSlugs">; body: unknown }>,
  now: Date,
): Promise<{ rules: TargetRuleDto[]; changed: boolean }> {
  assertKeyForAllTargets(key, "target mapping rules route calls among all targets");
  const { rules } = parseInput(targetRuleSetSchema, body);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const ids = await targetIds(
        tx,
        rules.map((rule) => rule.target),
        (i) => `rules.${i}.target`,
      );
      const existing = await listTargetRules(tx);
      const kept = new Set<string>();
      let changed = false;
      for (const rule of rules) {
        const { target, ...fields } = rule;
        const targetId = ids.get(target) as string;
        const current = existing.find((row) => sameMatch(row, rule));
        if (current) {
          kept.add(current.id);
          if (current.target === target) continue;
          await tx.intakeTargetRule.update({ where: { id: current.id }, data: { targetId, updatedAt: now } });
        } else {
          await tx.intakeTargetRule.create({ data: { ...fields, targetId, createdAt: now, updatedAt: now } });
        }
        changed = true;
      }
      const gone = existing.filter((row) => !kept.has(row.id)).map((row) => row.id);
      if (gone.length > 0) {
        await tx.intakeTargetRule.deleteMany({ where: { id: { in: gone } } });
        changed = true;
      }
      if (!changed) return { rules: existing, changed };
      const after = await listTargetRules(tx);
      await appendAudit(
        tx,
        {
          actor,
          action: "integration.target_rules_replaced",
          entityType: ENTITY,
          entityId: "all",
          before: existing.map(audited),
          after: after.map(audited),
        },
        now,
      );
      return { rules: after, changed };
    }),
  );
}
