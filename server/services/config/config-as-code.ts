// Config as code: a CI job applies targets, policies and configurations kept in git. Every call is safe to
// repeat: applying what is already there changes nothing and records nothing.
import "server-only";
import { z } from "zod";
import type { Db, Tx } from "../../db";
import { checksumOf } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { policySchema } from "../../domain/policy";
import { snapshotInputSchema } from "../../domain/snapshots";
import { createTargetSchema, slugSchema } from "../../domain/targets";
import type { Actor } from "../audit/audit-log";
import { getPolicy, updatePolicy, type PolicyVersionDto } from "./policies";
import { publishSnapshot, type PublishedSnapshot } from "./snapshot-publishing";
import { createTarget, getTargetBySlug, setMonitoring, updateTarget, type TargetDto } from "./targets";
import { parseInput } from "../platform/validation";

export const putTargetSchema = z.object({
  name: createTargetSchema.shape.name,
  description: createTargetSchema.shape.description.unwrap().optional(),
  monitoringEnabled: z.boolean({ error: "monitoringEnabled must be true or false" }).optional(),
});

/**
 * Creates the target, or brings an existing one to the given name, description and monitoring switch;
 * fields left out keep their value (or the default on creation).
 */
export async function putTarget(
  db: Db,
  input: { actor: Actor; slug: string; body: unknown },
  now: Date,
): Promise<{ target: TargetDto; created: boolean }> {
  const { actor } = input;
  const slug = parseInput(slugSchema, input.slug);
  const { name, description, monitoringEnabled } = parseInput(putTargetSchema, input.body);
  const existing = await getTargetBySlug(db, slug).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "NOT_FOUND") return null;
    throw error;
  });
  if (!existing) {
    const target = await createTarget(db, { actor, slug, name, description, monitoringEnabled }, now);
    return { target, created: true };
  }
  let target = await updateTarget(db, { actor, id: existing.id, name, description }, now);
  if (monitoringEnabled !== undefined)
    target = await setMonitoring(db, { actor, id: existing.id, enabled: monitoringEnabled }, now);
  return { target, created: false };
}

/**
 * Saves the policy as the target's next version, unless it equals the latest saved one (after defaults
 * are filled in): then nothing is recorded and `changed` is false. Issues are keyed by policy field.
 */
export async function putPolicy(
  db: Db,
  input: { apiKeyId: string; slug: string; body: unknown },
  now: Date,
): Promise<{ policy: PolicyVersionDto; changed: boolean }> {
  const target = await getTargetBySlug(db, input.slug);
  const policy = parseInput(policySchema, input.body);
  const current = await getPolicy(db, target.id);
  if (!current.isDefault && checksumOf(current.policy) === checksumOf(policy))
    return { policy: current, changed: false };
  const saved = await updatePolicy(db, { actorId: null, apiKeyId: input.apiKeyId, targetId: target.id, policy }, now);
  return { policy: saved, changed: true };
}

/**
 * Publishes `config` as the current snapshot; the current checksum again is a no-op (`created` false).
 * `inTransaction` runs in the publishing's transaction, with its result as of the commit (`publishSnapshot`).
 */
export async function publishConfig(
  db: Db,
  input: { actor: Actor; slug: string; body: unknown },
  now: Date,
  options: { inTransaction?: (tx: Tx, committed: PublishedSnapshot) => Promise<void> } = {},
): Promise<PublishedSnapshot> {
  const target = await getTargetBySlug(db, input.slug);
  const { config, label } = parseInput(snapshotInputSchema, input.body);
  return publishSnapshot(
    db,
    { actor: input.actor, targetId: target.id, config, ...(label !== undefined && { label }) },
    now,
    options,
  );
}
