import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluateFlag,
  flagMetadata,
  ofrepRequestSchema,
  rolloutBucket,
  turnedOffBy,
  KILL_SWITCH_OFF_ACTION,
} from "@/server/domain/flag-evaluation";

const flagKey = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/);
const subject = fc.string({ minLength: 1, maxLength: 40 });
const percent = fc.integer({ min: 0, max: 100 });

function isOn(key: string, targetingKey: string, pct: number): boolean {
  const result = evaluateFlag({ key, enabled: true, percent: pct }, targetingKey);
  if ("errorCode" in result) throw new Error(result.errorDetails);
  return result.value;
}

describe("rolloutBucket", () => {
  it('is the first 32 bits of SHA-256("<flag key>:<targeting key>") scaled to 0–99, as docs/API.md says', () => {
    // sha256("a:b") begins 6783a31e = 1736680222; 1736680222 × 100 / 2³² = 40.4…
    expect(rolloutBucket("a", "b")).toBe(40);
    expect(rolloutBucket("checkout.new-flow", "user-1")).toBe(94);
    expect(rolloutBucket("checkout.new-flow", "user-2")).toBe(53);
  });

  it("is stable: a subject keeps its bucket for a flag", () => {
    fc.assert(
      fc.property(flagKey, subject, (key, targetingKey) => {
        const bucket = rolloutBucket(key, targetingKey);
        expect(bucket).toBe(rolloutBucket(key, targetingKey));
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 100).toBe(true);
      }),
    );
  });

  it("is monotonic: a subject on at a percentage stays on at every higher one", () => {
    fc.assert(
      fc.property(flagKey, subject, percent, percent, (key, targetingKey, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (isOn(key, targetingKey, low)) expect(isOn(key, targetingKey, high)).toBe(true);
      }),
    );
  });

  it("spreads subjects evenly over the 100 buckets (chi-square over 100,000 subjects)", () => {
    const counts = new Array<number>(100).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[rolloutBucket("chat.streaming", `user-${i}`)]! += 1;
    const expected = n / 100;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: P(χ² > 148.2) = 0.001 for a uniform hash. The subjects are fixed, so this never flakes.
    expect(chiSquare).toBeLessThan(148.2);
    const onAt10 = counts.slice(0, 10).reduce((sum, count) => sum + count, 0) / n;
    expect(onAt10).toBeGreaterThan(0.095);
    expect(onAt10).toBeLessThan(0.105);
  });

  it("puts a subject in different buckets for different flags: the first 10% of one rollout is not another's", () => {
    const n = 20_000;
    let both = 0;
    for (let i = 0; i < n; i++) {
      if (rolloutBucket("flag-a", `user-${i}`) < 10 && rolloutBucket("flag-b", `user-${i}`) < 10) both += 1;
    }
    // Independent: about 1% in both, where a hash of the subject alone would put all 10% in both.
    expect(both / n).toBeGreaterThan(0.007);
    expect(both / n).toBeLessThan(0.013);
  });
});

describe("evaluateFlag", () => {
  it("is off with DISABLED while the flag is disabled, whatever the percentage or subject", () => {
    for (const pct of [0, 40, 100]) {
      for (const targetingKey of [undefined, "user-1"]) {
        expect(evaluateFlag({ key: "f", enabled: false, percent: pct }, targetingKey)).toEqual({
          value: false,
          variant: "off",
          reason: "DISABLED",
        });
      }
    }
  });

  it("is the same for everyone at 100% and 0% (STATIC) and needs no targeting key there", () => {
    expect(evaluateFlag({ key: "f", enabled: true, percent: 100 }, undefined)).toEqual({
      value: true,
      variant: "on",
      reason: "STATIC",
    });
    expect(evaluateFlag({ key: "f", enabled: true, percent: 0 }, undefined)).toEqual({
      value: false,
      variant: "off",
      reason: "STATIC",
    });
  });

  it("splits by the subject's bucket in between (SPLIT)", () => {
    // Buckets 94 and 53 (above): at 60% user-2 is on and user-1 off.
    const flag = { key: "checkout.new-flow", enabled: true, percent: 60 };
    expect(evaluateFlag(flag, "user-2")).toEqual({ value: true, variant: "on", reason: "SPLIT" });
    expect(evaluateFlag(flag, "user-1")).toEqual({ value: false, variant: "off", reason: "SPLIT" });
    expect(evaluateFlag({ ...flag, percent: 53 }, "user-2")).toMatchObject({ value: false });
    expect(evaluateFlag({ ...flag, percent: 54 }, "user-2")).toMatchObject({ value: true });
  });

  it("answers TARGETING_KEY_MISSING for a percentage rollout without a subject, an empty one included", () => {
    for (const targetingKey of [undefined, ""]) {
      expect(evaluateFlag({ key: "f", enabled: true, percent: 25 }, targetingKey)).toEqual({
        errorCode: "TARGETING_KEY_MISSING",
        errorDetails: expect.stringContaining("Flag 'f' is on for 25% of subjects: send a targetingKey") as string,
      });
    }
  });
});

describe("ofrepRequestSchema", () => {
  it("takes a context with or without targetingKey and target, and keeps other attributes", () => {
    expect(ofrepRequestSchema.parse({ context: {} })).toEqual({ context: {} });
    expect(
      ofrepRequestSchema.parse({ context: { targetingKey: "user-1", target: "chat", email: "a@b.c", plan: 3 } }),
    ).toEqual({ context: { targetingKey: "user-1", target: "chat", email: "a@b.c", plan: 3 } });
  });

  it("refuses a body without a context object, a targetingKey that is no string and a target that is no slug", () => {
    const issues = (body: unknown) => ofrepRequestSchema.safeParse(body).error?.issues.map((issue) => issue.message);
    expect(issues({})).toEqual(['context must be an object, e.g. {"targetingKey": "user-123"}']);
    expect(issues({ context: null })).toEqual(['context must be an object, e.g. {"targetingKey": "user-123"}']);
    expect(issues([])).toEqual(['The body must be a JSON object: {"context": {…}}']);
    expect(issues({ context: { targetingKey: 42 } })).toEqual(["targetingKey must be a string"]);
    expect(issues({ context: { target: "Not A Slug" } })).toEqual([
      "Use lowercase letters, digits and single dashes, e.g. chat-completions",
    ]);
  });
});

describe("turnedOffBy", () => {
  const killSwitch = { key: "chat.tools", enabled: false, killSwitch: true };
  const at = new Date("2026-05-01T12:00:00.123Z");
  const rollback = { id: "rb1", requestedAt: at, flagsTurnedOff: ["chat.tools", "chat.vision"] };
  const off = { action: KILL_SWITCH_OFF_ACTION, at };

  it("names the emergency rollback requested at the instant of the automatic turn-off that lists the flag", () => {
    expect(turnedOffBy(killSwitch, off, [rollback])).toEqual({ by: "rollback", rollbackId: "rb1" });
  });

  it("names the emergency stop for an automatic turn-off that no rollback made", () => {
    expect(turnedOffBy(killSwitch, off, [])).toEqual({ by: "emergency_stop" });
    expect(turnedOffBy(killSwitch, off, [{ ...rollback, requestedAt: new Date(at.getTime() + 1) }])).toEqual({
      by: "emergency_stop",
    });
    expect(turnedOffBy(killSwitch, off, [{ ...rollback, flagsTurnedOff: ["other"] }])).toEqual({
      by: "emergency_stop",
    });
  });

  it("names nobody when a person or a key changed it last, or it is on, or no kill switch", () => {
    expect(turnedOffBy(killSwitch, { action: "flag.disabled", at }, [rollback])).toBeNull();
    expect(turnedOffBy(killSwitch, null, [rollback])).toBeNull();
    expect(turnedOffBy({ ...killSwitch, enabled: true }, off, [rollback])).toBeNull();
    expect(turnedOffBy({ ...killSwitch, killSwitch: false }, off, [rollback])).toBeNull();
  });
});

describe("flagMetadata", () => {
  it("gives killSwitch and percent for every flag, and why a kill switch is off", () => {
    expect(
      flagMetadata({ enabled: true, killSwitch: false, percent: 30 }, { turnedOffBy: null, emergencyStopActive: true }),
    ).toEqual({ killSwitch: false, percent: 30 });
    expect(
      flagMetadata(
        { enabled: false, killSwitch: true, percent: 100 },
        { turnedOffBy: { by: "rollback", rollbackId: "rb1" }, emergencyStopActive: false },
      ),
    ).toEqual({ killSwitch: true, percent: 100, turnedOffBy: "rollback", rollbackId: "rb1" });
    expect(
      flagMetadata(
        { enabled: false, killSwitch: true, percent: 100 },
        { turnedOffBy: { by: "emergency_stop" }, emergencyStopActive: true },
      ),
    ).toEqual({ killSwitch: true, percent: 100, turnedOffBy: "emergency_stop", emergencyStopActive: true });
    // A person turned it off, and the stop now keeps it off.
    expect(
      flagMetadata(
        { enabled: false, killSwitch: true, percent: 100 },
        { turnedOffBy: null, emergencyStopActive: true },
      ),
    ).toEqual({ killSwitch: true, percent: 100, emergencyStopActive: true });
  });
});
