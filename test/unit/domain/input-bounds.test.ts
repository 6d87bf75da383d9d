import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonProblem, MAX_JSON_DEPTH, safeText, textProblem } from "@/server/domain/input-bounds";
import { assertBucketFits, emptyTotals, metricEventSchema, metricWindowSchema } from "@/server/domain/metrics";
import { alertmanagerPayloadSchema } from "@/server/domain/alertmanager";
import { snapshotConfigSchema } from "@/server/domain/snapshots";
import { createTargetSchema } from "@/server/domain/targets";
import { reasonSchema } from "@/server/domain/audit";
import { LatencySketch } from "@/server/domain/sketch";

/** Text PostgreSQL stores as sent: without NUL, and UTF-8 round-trips it (unpaired surrogates become U+FFFD). */
const isStorable = (text: string) =>
  !text.includes("\u0000") && new TextDecoder().decode(new TextEncoder().encode(text)) === text;

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The first message per field path, as services report them (fieldIssues). */
const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  Object.fromEntries(
    (result.error?.issues ?? []).reverse().map((issue) => [issue.path.map(String).join("."), issue.message]),
  );

describe("safe text", () => {
  it("refuses NUL and unpaired surrogates, and nothing else", () => {
    expect(textProblem("a\u0000b")).toMatch(/NUL/);
    expect(textProblem("a\ud800b")).toMatch(/unpaired UTF-16 surrogates/);
    expect(textProblem("\udc00")).toMatch(/unpaired/);
    expect(textProblem("x\ud83d")).toMatch(/unpaired/);
    expect(textProblem("emoji 😀 and 中文, tabs\tand\nnewlines")).toBeNull();
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(textProblem(text) === null).toBe(isStorable(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it("chains with a field's own rules and names the problem", () => {
    const name = safeText().trim().min(1, "Name is required").max(5);
    expect(name.parse("  ok ")).toBe("ok");
    expect(name.safeParse("a\u0000").error?.issues[0]?.message).toMatch(/NUL/);
    expect(name.safeParse("   ").error?.issues[0]?.message).toBe("Name is required");
  });
});

describe("JSON bounds", () => {
  it("accepts nesting up to the limit and refuses one level more, at its path", () => {
    expect(jsonProblem(nested(MAX_JSON_DEPTH), { maxDepth: MAX_JSON_DEPTH })).toBeNull();
    const problem = jsonProblem(nested(MAX_JSON_DEPTH + 1), { maxDepth: MAX_JSON_DEPTH });
    expect(problem?.message).toBe(`Nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(problem?.path).toHaveLength(MAX_JSON_DEPTH);
  });

  it("walks a value nested 200,000 deep without a stack overflow", () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonProblem(deep, { maxDepth: MAX_JSON_DEPTH })?.path).toHaveLength(MAX_JSON_DEPTH);
    expect(jsonProblem(deep)).toBeNull();
  });

  it("finds unsafe text in strings and keys, with the path", () => {
    expect(jsonProblem({ a: [1, { b: "x\u0000" }] })).toEqual({
      path: ["a", 1, "b"],
      message: expect.stringMatching(/NUL/) as unknown,
    });
    expect(jsonProblem({ a: { "k\ud800": 1 } })).toEqual({
      path: ["a", "k\ud800"],
      message: expect.stringMatching(/^Key: .*unpaired/) as unknown,
    });
    expect(jsonProblem({ a: new Date(0), b: 1e308, c: null })).toBeNull();
  });
});

describe("bounds in the schemas", () => {
  const event = { ts: 1_700_000_000_000, latencyMs: 100, ok: true };
  const sketch = LatencySketch.of([100]).toData();
  const window = { start: 1_700_000_000_000, requestCount: 1, errorCount: 0, costUsd: 0, sketch };

  it("refuses the hostile ingest values of issue #12 by field", () => {
    expect(issuesOf(metricEventSchema.safeParse({ ...event, provider: "a\ud800", model: "b\u0000" }))).toEqual({
      provider: expect.stringMatching(/surrogates/) as unknown,
      model: expect.stringMatching(/NUL/) as unknown,
    });
    expect(issuesOf(metricEventSchema.safeParse({ ...event, latencyMs: 1e308 }))).toEqual({
      latencyMs: "Latency must be at most 1 hour (3,600,000 ms)",
    });
    for (const requestCount of [2 ** 31, 2 ** 31 - 1, 2 ** 53]) {
      expect(issuesOf(metricWindowSchema.safeParse({ ...window, requestCount }))).toEqual({
        requestCount: "Request count must be at most 100,000,000",
      });
    }
    expect(issuesOf(metricWindowSchema.safeParse({ ...window, inputTokens: 2 ** 53 }))).toMatchObject({
      inputTokens: "Input tokens must be at most 1,000,000,000,000",
    });
    // A sketch cannot carry what an event may not: a bin of centuries.
    const centuries = { keys: [1_500], counts: [1], zeroCount: 0 };
    expect(issuesOf(metricWindowSchema.safeParse({ ...window, sketch: centuries }))).toEqual({
      sketch: expect.stringMatching(/at most 1 hour/) as unknown,
    });
    expect(metricWindowSchema.safeParse({ ...window, sketch: LatencySketch.of([3_600_000]).toData() }).success).toBe(
      true,
    );
  });

  it("refuses a bucket a batch would overflow, naming the first window or event in it", () => {
    const start = 1_700_000_000_000;
    const batch = {
      events: [
        { ...event, ts: start - 10_000 },
        { ...event, ts: start + 5 },
      ] as never[],
      windows: [
        { ...window, start: start - 10_000 },
        { ...window, start },
      ] as never[],
      bucketWidthMs: 10_000,
    };
    const full = { ...emptyTotals(), requestCount: 2 ** 31 - 1 };
    expect(() => assertBucketFits(full, start, batch)).not.toThrow();
    expect(() => assertBucketFits({ ...full, requestCount: 2 ** 31 }, start, batch)).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        details: { issues: { "windows.1.requestCount": expect.any(String) as unknown } },
      }),
    );
    expect(() => assertBucketFits({ ...emptyTotals(), costMicros: 2 ** 53 }, start, { ...batch, windows: [] })).toThrow(
      expect.objectContaining({ details: { issues: { "events.1.costUsd": expect.any(String) as unknown } } }),
    );
  });

  it("refuses hostile Alertmanager text, snapshot configs nested too deep, and hostile names and reasons", () => {
    const alert = { status: "firing", labels: { rewind_target: "t" } };
    expect(
      issuesOf(
        alertmanagerPayloadSchema.safeParse({
          version: "4",
          alerts: [
            { ...alert, annotations: { summary: "x\u0000" } },
            { ...alert, labels: { "a\ud800": "1" } },
          ],
        }),
      ),
    ).toEqual({
      "alerts.0.annotations.summary": expect.stringMatching(/NUL/) as unknown,
      "alerts.1.labels.a\ud800": expect.stringMatching(/Label names/) as unknown,
    });
    expect(issuesOf(snapshotConfigSchema.safeParse({ x: nested(1_000) }))).toEqual({
      "": expect.stringMatching(/^Nested deeper than 32 levels at x\.a\.a/) as unknown,
    });
    expect(issuesOf(snapshotConfigSchema.safeParse({ x: ["a\u0000"] }))).toEqual({
      "": expect.stringMatching(/NUL characters .* at x\.0$/) as unknown,
    });
    expect(issuesOf(createTargetSchema.safeParse({ slug: "ok", name: "a\ud800" }))).toEqual({
      name: expect.stringMatching(/surrogates/) as unknown,
    });
    expect(issuesOf(reasonSchema.safeParse("<!here>\u0000"))).toEqual({ "": expect.stringMatching(/NUL/) as unknown });
  });
});
