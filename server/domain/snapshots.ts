// Config snapshots: what a snapshot may hold, the checksum check done on every read for use, the structured
// diff between two snapshots, and when a published snapshot becomes known-good. Rules: docs/ROLLBACKS.md.
import { z } from "zod";
import { canonicalJson, checksumOf, formatPath, isPlainObject, type JsonPath, type JsonValue } from "./canonical-json";
import { reasonSchema } from "./audit";
import { AppError } from "./errors";
import { jsonProblem, MAX_JSON_DEPTH, safeText } from "./input-bounds";

/** Measured on the canonical form, so the limit does not depend on how the client indented its JSON. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024;
const utf8 = new TextEncoder();

/**
 * Checked by `canonicalJson` itself, so whatever passes can be checksummed and the message names the path of
 * the offending value; first for what neither database stores alike (text with NUL or unpaired surrogates) and
 * for nesting deeper than MAX_JSON_DEPTH, which no configuration needs and every reader would walk.
 */
export const snapshotConfigSchema = z
  .custom<{ [key: string]: JsonValue }>(isPlainObject, "Config must be a JSON object")
  .superRefine((config, ctx) => {
    const problem = jsonProblem(config, { maxDepth: MAX_JSON_DEPTH });
    if (problem) {
      ctx.addIssue({ code: "custom", message: `${problem.message} at ${formatPath(problem.path)}` });
      return;
    }
    let canonical: string;
    try {
      canonical = canonicalJson(config);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
      return;
    }
    const bytes = utf8.encode(canonical).length;
    if (bytes > MAX_SNAPSHOT_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `Config is ${formatKb(bytes)} as canonical JSON; the limit is ${formatKb(MAX_SNAPSHOT_BYTES)}`,
      });
    }
  });
export type SnapshotConfig = z.infer<typeof snapshotConfigSchema>;

export const snapshotLabelSchema = safeText({ error: "Label must be text" })
  .trim()
  .min(1, "Label must not be blank; leave it out instead")
  .max(100, "Label must be at most 100 characters");

export const snapshotInputSchema = z.object({
  config: snapshotConfigSchema,
  label: snapshotLabelSchema.optional(),
});
export type SnapshotInput = z.infer<typeof snapshotInputSchema>;

function formatKb(bytes: number): string {
  return `${(bytes / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 })} KB`;
}

/** Called whenever a stored snapshot is read for use: a corrupted row is refused, never served. */
export function verifySnapshotChecksum(snapshot: { version: number; config: unknown; checksum: string }): void {
  if (checksumOf(snapshot.config) !== snapshot.checksum) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Snapshot v${snapshot.version} failed its checksum: refusing to serve a corrupted configuration`,
    );
  }
}

export interface ConfigChange {
  path: JsonPath;
  kind: "added" | "removed" | "changed";
  before?: JsonValue;
  after?: JsonValue;
}

/**
 * Objects are compared key by key, arrays index by index (an insertion shifts every later index, which is
 * what the orchestrator sees too: fallback chains and weights are positional). A value added or removed is
 * reported once at its own path, not leaf by leaf; a value whose type changed is one "changed". Order is
 * depth-first with keys sorted as in canonical JSON, so the same two configs always give the same list.
 */
export function diffConfigs(a: JsonValue, b: JsonValue): ConfigChange[] {
  const changes: ConfigChange[] = [];
  diffInto(changes, [], a, b);
  return changes;
}

function diffInto(changes: ConfigChange[], path: (string | number)[], a: JsonValue, b: JsonValue): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = a as readonly JsonValue[];
    const right = b as readonly JsonValue[];
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      diffMember(changes, [...path, i], left[i], right[i]);
    }
  } else if (isPlainObject(a) && isPlainObject(b)) {
    const left = a as Record<string, JsonValue | undefined>;
    const right = b as Record<string, JsonValue | undefined>;
    for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
      // Own properties only: a key such as "valueOf" must not find Object.prototype's.
      diffMember(changes, [...path, key], own(left, key), own(right, key));
    }
  } else if (canonicalJson(a) !== canonicalJson(b)) {
    changes.push({ path, kind: "changed", before: a, after: b });
  }
}

function own(object: Record<string, JsonValue | undefined>, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function diffMember(
  changes: ConfigChange[],
  path: (string | number)[],
  before: JsonValue | undefined,
  after: JsonValue | undefined,
): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) changes.push({ path, kind: "added", after });
  else if (after === undefined) changes.push({ path, kind: "removed", before });
  else diffInto(changes, path, before, after);
}

export type BakeState = "BAKING" | "BAKED" | "FAILED";

export interface BakeInput {
  /** When the snapshot became the target's current config. */
  publishedAt: Date;
  bakeTimeSeconds: number;
  /** First VIOLATION or BREACH verdict of the target while this snapshot was current, or null. */
  firstViolationAt: Date | null;
  /** Whether any HEALTHY verdict was recorded while this snapshot was current. */
  sawHealthyVerdict: boolean;
  now: Date;
}

/**
 * A snapshot becomes known-good once it has been current for the bake time with no violation and at least
 * one healthy verdict: time on thin traffic alone (only INSUFFICIENT_DATA) proves nothing. Any violation
 * while it was current fails it for good, even one after the bake time if promotion had not happened yet,
 * so the known-good pointer never lands on a snapshot that misbehaved. The cycle records its verdict before
 * promoting, so a violation at the promotion instant counts.
 */
export function bakeStatus({ publishedAt, bakeTimeSeconds, firstViolationAt, sawHealthyVerdict, now }: BakeInput): {
  state: BakeState;
  readyAt: Date;
} {
  const readyAt = new Date(publishedAt.getTime() + bakeTimeSeconds * 1000);
  if (firstViolationAt !== null) return { state: "FAILED", readyAt };
  return { state: now >= readyAt && sawHealthyVerdict ? "BAKED" : "BAKING", readyAt };
}

/** For the manual mark as known-good: the pointer never points at a snapshot that failed. */
export function assertCanBeKnownGood(snapshot: { version: number; failedAt: Date | null }): void {
  if (snapshot.failedAt !== null) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Snapshot v${snapshot.version} failed on ${snapshot.failedAt.toISOString()} and cannot be marked known-good`,
    );
  }
}

/** What a publisher sends: the snapshot and the target it configures. */
export const publishSnapshotSchema = snapshotInputSchema.extend({
  targetId: z.string({ error: "Target is required" }).min(1, "Target is required"),
});

/** Marking or unmarking known-good by hand: a person says why. */
export const snapshotMarkSchema = z.object({ snapshotId: z.string().min(1), reason: reasonSchema });

export const snapshotDiffSchema = z.object({
  targetId: z.string().min(1),
  fromId: z.string().min(1),
  toId: z.string().min(1),
});
