// Evaluating a flag for one subject, as the OpenFeature Remote Evaluation Protocol (OFREP) answers it: the
// value, variant and reason, the stable rollout bucket, and why Rewind turned a kill switch off. docs/API.md.
import { createHash } from "node:crypto";
import { z } from "zod";
import { slugSchema } from "./targets";

/**
 * An OFREP request body. OFREP's schema lists `targetingKey` as required, OpenFeature's evaluation context does
 * not: it is optional here, and only a percentage rollout needs it (TARGETING_KEY_MISSING otherwise), so flags
 * that are the same for everyone evaluate for a client that has no subject yet. `target` selects a target's
 * flags; every other attribute is accepted and ignored.
 */
export const ofrepRequestSchema = z.object(
  {
    context: z.looseObject(
      {
        targetingKey: z.string({ error: "targetingKey must be a string" }).optional(),
        target: slugSchema.optional(),
      },
      { error: 'context must be an object, e.g. {"targetingKey": "user-123"}' },
    ),
  },
  { error: 'The body must be a JSON object: {"context": {…}}' },
);
export type OfrepRequest = z.output<typeof ofrepRequestSchema>;

export const ROLLOUT_BUCKETS = 100;

/**
 * The subject's bucket for a flag, 0–99: the first 32 bits of SHA-256("<flag key>:<targeting key>") scaled to
 * 100. A flag key has no colon, so two pairs never hash the same text. A subject keeps its bucket, so it stays
 * on as the percentage grows; the flag key in the hash keeps one subject from being first in every rollout.
 */
export function rolloutBucket(flagKey: string, targetingKey: string): number {
  const digest = createHash("sha256").update(`${flagKey}:${targetingKey}`, "utf8").digest();
  return Math.floor((digest.readUInt32BE(0) * ROLLOUT_BUCKETS) / 2 ** 32);
}

export type EvaluationReason = "STATIC" | "SPLIT" | "DISABLED";

export type FlagEvaluation =
  | { value: boolean; variant: "on" | "off"; reason: EvaluationReason }
  | { errorCode: "TARGETING_KEY_MISSING"; errorDetails: string };

/**
 * Off while disabled (DISABLED); on for everyone at 100% and off for everyone at 0% (STATIC); in between, on
 * when the subject's bucket is below the percentage (SPLIT), which needs a targeting key. Without one the answer
 * is TARGETING_KEY_MISSING, as OpenFeature defines it, not "off": the application's own default then applies and
 * its logs say why, where a silent "off" would hide a rollout that never reaches anyone.
 */
export function evaluateFlag(
  flag: { key: string; enabled: boolean; percent: number },
  targetingKey: string | undefined,
): FlagEvaluation {
  const on = (reason: EvaluationReason) => ({ value: true, variant: "on" as const, reason });
  const off = (reason: EvaluationReason) => ({ value: false, variant: "off" as const, reason });
  if (!flag.enabled) return off("DISABLED");
  if (flag.percent >= 100) return on("STATIC");
  if (flag.percent <= 0) return off("STATIC");
  if (!targetingKey) {
    return {
      errorCode: "TARGETING_KEY_MISSING",
      errorDetails: `Flag '${flag.key}' is on for ${flag.percent}% of subjects: send a targetingKey (a user or session id) in the context`,
    };
  }
  return rolloutBucket(flag.key, targetingKey) < flag.percent ? on("SPLIT") : off("SPLIT");
}

/** The audit action of a kill switch turned off by the emergency stop or an emergency rollback. */
export const KILL_SWITCH_OFF_ACTION = "flag.kill_switch_off";
/** Audit actions that change whether a flag is on. */
export const FLAG_ON_OFF_ACTIONS = ["flag.created", "flag.enabled", "flag.disabled", KILL_SWITCH_OFF_ACTION];

export type TurnedOffBy = { by: "emergency_stop" } | { by: "rollback"; rollbackId: string };

/**
 * Why Rewind turned a kill switch off, when it did and nobody turned it on or off since: its last on/off audit
 * event is the automatic turn-off, written at the `now` of the change that caused it. An emergency rollback
 * that lists the flag in `flagsTurnedOff` and was requested at that instant is the cause; otherwise it was the
 * emergency stop (the only other caller). Null for a flag on, a flag that is no kill switch, and one a person or
 * an API key turned off. Re-enablement plans write no per-flag audit event: a flag a failed plan turned off again
 * is still the rollback's.
 */
export function turnedOffBy(
  flag: { key: string; enabled: boolean; killSwitch: boolean },
  lastOnOffChange: { action: string; at: Date } | null,
  emergencyRollbacks: readonly { id: string; requestedAt: Date; flagsTurnedOff: readonly string[] }[],
): TurnedOffBy | null {
  if (flag.enabled || !flag.killSwitch || lastOnOffChange?.action !== KILL_SWITCH_OFF_ACTION) return null;
  const at = lastOnOffChange.at.getTime();
  const rollback = emergencyRollbacks.find(
    (candidate) => candidate.requestedAt.getTime() === at && candidate.flagsTurnedOff.includes(flag.key),
  );
  return rollback ? { by: "rollback", rollbackId: rollback.id } : { by: "emergency_stop" };
}

/** OFREP flag metadata: primitives only (OFREP's `metadata` schema and OpenFeature's flag metadata). */
export type FlagMetadata = Record<string, string | number | boolean>;

/**
 * `killSwitch` and `percent` for every flag; for a kill switch that is off, `turnedOffBy` (`emergency_stop` or
 * `rollback`, with `rollbackId`) when Rewind turned it off, and `emergencyStopActive` while the stop holds every
 * kill switch off. No free text (reasons, names): browser clients show metadata to anyone.
 */
export function flagMetadata(
  flag: { enabled: boolean; killSwitch: boolean; percent: number },
  options: { turnedOffBy: TurnedOffBy | null; emergencyStopActive: boolean },
): FlagMetadata {
  const metadata: FlagMetadata = { killSwitch: flag.killSwitch, percent: flag.percent };
  if (flag.enabled || !flag.killSwitch) return metadata;
  if (options.turnedOffBy) {
    metadata.turnedOffBy = options.turnedOffBy.by;
    if (options.turnedOffBy.by === "rollback") metadata.rollbackId = options.turnedOffBy.rollbackId;
  }
  if (options.emergencyStopActive) metadata.emergencyStopActive = true;
  return metadata;
}
