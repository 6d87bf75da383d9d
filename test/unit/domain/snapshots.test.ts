import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checksumOf, type JsonValue } from "@/server/domain/canonical-json";
import { fieldIssues } from "@/server/domain/errors";
import {
  assertCanBeKnownGood,
  bakeStatus,
  diffConfigs,
  MAX_SNAPSHOT_BYTES,
  snapshotInputSchema,
  verifySnapshotChecksum,
} from "@/server/domain/snapshots";
import { T0 } from "./fixtures";

const at = (seconds: number) => new Date(T0 + seconds * 1000);

const config = {
  model: "gpt-4o",
  timeoutMs: 30_000,
  providers: [
    { name: "openai", weight: 80 },
    { name: "anthropic", weight: 20 },
  ],
  flags: { streaming: true },
};

function issuesOf(input: unknown) {
  const result = snapshotInputSchema.safeParse(input);
  if (result.success) throw new Error("expected the snapshot to be rejected");
  return fieldIssues(result.error);
}

describe("snapshotInputSchema", () => {
  it("accepts any JSON object and a trimmed label", () => {
    expect(snapshotInputSchema.parse({ config, label: "  fallback to claude " })).toEqual({
      config,
      label: "fallback to claude",
    });
    expect(snapshotInputSchema.parse({ config: {} })).toEqual({ config: {} });
  });

  it.each([
    [[1, 2], { config: "Config must be a JSON object" }],
    ["{}", { config: "Config must be a JSON object" }],
    [null, { config: "Config must be a JSON object" }],
  ])("rejects config %j", (value, issues) => {
    expect(issuesOf({ config: value })).toEqual(issues);
  });

  it("names the value that is not JSON", () => {
    expect(issuesOf({ config: { providers: [{ weight: Number.NaN }] } })).toEqual({
      config: "Not a JSON value at providers.0.weight: NaN (not a finite number)",
    });
  });

  it("limits the canonical size to 256 KB and says by how much it is over", () => {
    const fits = { blob: "x".repeat(MAX_SNAPSHOT_BYTES - '{"blob":""}'.length) };
    expect(snapshotInputSchema.safeParse({ config: fits }).success).toBe(true);
    expect(issuesOf({ config: { blob: "é".repeat(150_000) } })).toEqual({
      config: "Config is 293 KB as canonical JSON; the limit is 256 KB",
    });
  });

  it.each([
    ["   ", "Label must not be blank; leave it out instead"],
    ["x".repeat(101), "Label must be at most 100 characters"],
    [5, "Label must be text"],
  ])("rejects label %j", (label, message) => {
    expect(issuesOf({ config, label })).toEqual({ label: message });
  });
});

describe("verifySnapshotChecksum", () => {
  const snapshot = { version: 7, config, checksum: checksumOf(config) };

  it("passes a snapshot whose stored checksum matches, whatever the key order it reads back in", () => {
    const reordered = { flags: config.flags, providers: config.providers, timeoutMs: 30_000, model: "gpt-4o" };
    expect(() => verifySnapshotChecksum({ ...snapshot, config: reordered })).not.toThrow();
  });

  it("refuses a corrupted configuration", () => {
    const corrupted = { ...config, providers: [{ name: "openai", weight: 100 }] };
    expect(() => verifySnapshotChecksum({ ...snapshot, config: corrupted })).toThrow(
      expect.objectContaining({
        code: "PRECONDITION_FAILED",
        message: "Snapshot v7 failed its checksum: refusing to serve a corrupted configuration",
      }),
    );
  });

  it("refuses a corrupted checksum", () => {
    expect(() => verifySnapshotChecksum({ ...snapshot, checksum: "0".repeat(64) })).toThrow(/Snapshot v7 failed/);
  });
});

describe("diffConfigs", () => {
  it("reports added, removed and changed values by path, depth-first in key order", () => {
    const next = {
      model: "claude-sonnet",
      providers: [{ name: "openai", weight: 50 }, { name: "anthropic", weight: 20 }, { name: "mistral" }],
      flags: {},
      retries: 2,
    };
    expect(diffConfigs(config, next)).toEqual([
      { path: ["flags", "streaming"], kind: "removed", before: true },
      { path: ["model"], kind: "changed", before: "gpt-4o", after: "claude-sonnet" },
      { path: ["providers", 0, "weight"], kind: "changed", before: 80, after: 50 },
      { path: ["providers", 2], kind: "added", after: { name: "mistral" } },
      { path: ["retries"], kind: "added", after: 2 },
      { path: ["timeoutMs"], kind: "removed", before: 30_000 },
    ]);
  });

  it("compares arrays index by index, so a removal shifts the later entries", () => {
    expect(diffConfigs({ chain: ["a", "b", "c"] }, { chain: ["b", "c"] })).toEqual([
      { path: ["chain", 0], kind: "changed", before: "a", after: "b" },
      { path: ["chain", 1], kind: "changed", before: "b", after: "c" },
      { path: ["chain", 2], kind: "removed", before: "c" },
    ]);
  });

  it("reports a change of type as one change of the whole value", () => {
    expect(diffConfigs({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { path: ["a"], kind: "changed", before: [1], after: { 0: 1 } },
    ]);
    expect(diffConfigs({ a: null }, { a: 0 })).toEqual([{ path: ["a"], kind: "changed", before: null, after: 0 }]);
  });

  it("treats an undefined property as absent, as canonical JSON does", () => {
    expect(diffConfigs({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });

  const jsonArb = fc.jsonValue() as fc.Arbitrary<JsonValue>;

  it("is empty exactly when the checksums are equal", () => {
    fc.assert(
      fc.property(jsonArb, jsonArb, (a, b) => {
        expect(diffConfigs(a, b).length === 0).toBe(checksumOf(a) === checksumOf(b));
        expect(diffConfigs(a, a)).toEqual([]);
      }),
    );
  });

  it("treats keys named like Object.prototype members as plain keys", () => {
    expect(diffConfigs({ valueOf: 0 }, {})).toEqual([{ path: ["valueOf"], kind: "removed", before: 0 }]);
    expect(diffConfigs({}, { toString: null, constructor: 1 })).toEqual([
      { path: ["constructor"], kind: "added", after: 1 },
      { path: ["toString"], kind: "added", after: null },
    ]);
  });

  it("swaps added and removed when the arguments swap", () => {
    const flip = { added: "removed", removed: "added", changed: "changed" } as const;
    fc.assert(
      fc.property(jsonArb, jsonArb, (a, b) => {
        const mirrored = diffConfigs(b, a).map(({ path, kind, before, after }) => ({
          path,
          kind: flip[kind],
          ...(after === undefined ? {} : { before: after }),
          ...(before === undefined ? {} : { after: before }),
        }));
        expect(mirrored).toEqual(diffConfigs(a, b));
      }),
    );
  });
});

describe("bakeStatus", () => {
  const base = {
    publishedAt: at(0),
    bakeTimeSeconds: 1_800,
    firstViolationAt: null,
    sawHealthyVerdict: true,
  };

  it("bakes until the bake time has passed, then is known-good", () => {
    expect(bakeStatus({ ...base, now: at(1_799) })).toEqual({ state: "BAKING", readyAt: at(1_800) });
    expect(bakeStatus({ ...base, now: at(1_800) })).toEqual({ state: "BAKED", readyAt: at(1_800) });
  });

  it("keeps baking past the bake time until a healthy verdict proves it on real traffic", () => {
    expect(bakeStatus({ ...base, sawHealthyVerdict: false, now: at(7_200) }).state).toBe("BAKING");
  });

  it.each([0, 1_800, 5_000])("fails for good on a violation %i s after publishing", (seconds) => {
    expect(bakeStatus({ ...base, firstViolationAt: at(seconds), now: at(9_000) }).state).toBe("FAILED");
  });

  it("bakes at once with a zero bake time and a healthy verdict", () => {
    expect(bakeStatus({ ...base, bakeTimeSeconds: 0, now: at(0) }).state).toBe("BAKED");
  });
});

describe("assertCanBeKnownGood", () => {
  it("allows a snapshot that never failed", () => {
    expect(() => assertCanBeKnownGood({ version: 3, failedAt: null })).not.toThrow();
  });

  it("refuses a snapshot that failed", () => {
    expect(() => assertCanBeKnownGood({ version: 3, failedAt: at(60) })).toThrow(
      expect.objectContaining({
        code: "PRECONDITION_FAILED",
        message: "Snapshot v3 failed on 2025-01-06T12:01:00.000Z and cannot be marked known-good",
      }),
    );
  });
});
