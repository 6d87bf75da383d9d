// Screening intake items takes most events without running the event schema (`plainEvent`): it may only take an
// event the schema takes, returning what the schema would, and must leave every other event to the schema so its
// refusal reads the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainEvent, screenItems } from "@/server/domain/intake/intake-items";
import { metricBounds } from "@/server/domain/input-bounds";
import { metricEventSchema } from "@/server/domain/metrics";

const NOW = new Date("2026-05-01T12:00:00Z");

/** Values near and past each bound, of every type a sender's attribute can give. */
const edges = (max: number) =>
  fc.oneof(
    fc.constantFrom(0, -0, 1, 0.5, -1, max, max + 1, max - 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2),
    fc.double({ min: -10, max: max * 2 }),
    fc.constantFrom(undefined, null, true, "12", "1.5"),
  );
const texts = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    " gpt-4o",
    "gpt-4o ",
    "a\u0000b",
    "\ud800",
    "x".repeat(100),
    "x".repeat(101),
    "x".repeat(201),
    7,
  ),
  fc.string({ maxLength: 5 }),
);
/** Mostly a value an ordinary call has, sometimes an edge. */
const usually = (valid: fc.Arbitrary<unknown>, edge: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: edge, weight: 1 });
const rarely = (value: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: value, weight: 1 });

const event = fc
  .tuple(
    fc.record(
      {
        ts: usually(
          fc.integer({ min: NOW.getTime() - 3_600_000, max: NOW.getTime() }),
          fc.oneof(edges(metricBounds.timestampMs), fc.constant(NOW.toISOString())),
        ),
        latencyMs: usually(fc.double({ min: 0, max: 30_000, noNaN: true }), edges(metricBounds.latencyMs)),
        ttftMs: usually(fc.double({ min: 0, max: 2_000, noNaN: true }), edges(metricBounds.latencyMs)),
        ok: usually(fc.boolean(), fc.constantFrom(undefined, null, "true", 1)),
        costUsd: usually(fc.double({ min: 0, max: 1, noNaN: true }), edges(metricBounds.eventCostUsd)),
        provider: usually(fc.constantFrom("openai", "anthropic"), texts),
        model: usually(fc.constantFrom("gpt-4o", "claude-sonnet-4"), texts),
        inputTokens: usually(fc.integer({ min: 0, max: 100_000 }), edges(metricBounds.eventTokens)),
        outputTokens: usually(fc.integer({ min: 0, max: 100_000 }), edges(metricBounds.eventTokens)),
        snapshotVersion: usually(fc.integer({ min: 1, max: 10 }), edges(10)),
      },
      { requiredKeys: ["ts", "latencyMs", "ok"] },
    ),
    rarely(fc.constantFrom({ "chat.streaming": true }, { "Bad Key": true })),
    rarely(fc.constant(1)),
  )
  .map(([fields, flags, extra]): Record<string, unknown> => ({
    ...fields,
    ...(flags !== undefined && { flags }),
    ...(extra !== undefined && { extra }),
  }));

describe("plainEvent", () => {
  it("takes only events the schema takes, as the schema returns them", () => {
    let taken = 0;
    fc.assert(
      fc.property(event, (candidate) => {
        const plain = plainEvent(candidate);
        if (plain === null) return;
        taken++;
        const parsed = metricEventSchema.safeParse(candidate);
        expect(parsed.success).toBe(true);
        expect(plain).toStrictEqual(parsed.data);
      }),
      { numRuns: 5_000 },
    );
    // The property is worth something only if plain events come up often.
    expect(taken).toBeGreaterThan(500);
  });

  it("takes the events mappings make of ordinary model calls", () => {
    const call = { ts: NOW.getTime(), latencyMs: 840.25, ttftMs: 120, ok: true, costUsd: 0.002, provider: "openai" };
    expect(
      plainEvent({ ...call, model: "gpt-4o", inputTokens: 812, outputTokens: 0, snapshotVersion: 3 }),
    ).not.toBeNull();
    expect(plainEvent({ ts: NOW.getTime(), latencyMs: 0, ok: false })).not.toBeNull();
    // Left to the schema: a field to trim, text as a number, flags, a date-time text.
    expect(plainEvent({ ...call, provider: " openai" })).toBeNull();
    expect(plainEvent({ ...call, inputTokens: "812" })).toBeNull();
    expect(plainEvent({ ...call, flags: {} })).toBeNull();
    expect(plainEvent({ ...call, ts: NOW.toISOString() })).toBeNull();
  });
});

describe("screenItems", () => {
  it("accepts and refuses as the schema does, with its messages", () => {
    const bounds = { now: NOW, retentionMs: 30 * 86_400_000, maxFutureSkewMs: 60_000 };
    fc.assert(
      fc.property(fc.array(event, { maxLength: 5 }), (events) => {
        const items = events.map((candidate, i) => ({ path: String(i), target: null, event: candidate, sources: {} }));
        const { accepted, refused } = screenItems(items, bounds);
        const expected = events.map((candidate) => metricEventSchema.safeParse(candidate));
        const inRange = (parsed: (typeof expected)[number]) =>
          parsed.success &&
          parsed.data.ts >= NOW.getTime() - bounds.retentionMs &&
          parsed.data.ts <= NOW.getTime() + bounds.maxFutureSkewMs;
        expect(accepted.map((item) => item.event)).toStrictEqual(
          expected.flatMap((parsed) => (inRange(parsed) && parsed.success ? [parsed.data] : [])),
        );
        const messages = expected.flatMap((parsed) => (parsed.success ? [] : [parsed.error.issues[0]?.message]));
        expect(refused.map((item) => item.reason).filter((reason) => !/retention|future/.test(reason))).toEqual(
          messages,
        );
      }),
      { numRuns: 1_000 },
    );
  });
});
