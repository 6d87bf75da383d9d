import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "@/server/domain/canonical-json";
import {
  GENESIS_HASH,
  hashAuditEvent,
  linkAuditEvent,
  verifyChain,
  type AuditChainEvent,
  type AuditEventContent,
} from "@/server/domain/audit-chain";
import { T0 } from "./fixtures";

type Content = Omit<AuditEventContent, "sequence">;

const contents: Content[] = [
  {
    at: new Date(T0).toISOString(),
    actorType: "SYSTEM",
    actorId: null,
    action: "rollback.created",
    entityType: "Rollback",
    entityId: "rb-1",
    targetId: "chat",
    after: { status: "PENDING_APPROVAL", steps: [25, 50, 100] },
  },
  {
    at: new Date(T0 + 60_000).toISOString(),
    actorType: "USER",
    actorId: "alice",
    action: "rollback.approved",
    entityType: "Rollback",
    entityId: "rb-1",
    targetId: "chat",
    before: { status: "PENDING_APPROVAL" },
    after: { status: "APPROVED" },
    reason: "error rate is the new prompt",
  },
  {
    at: new Date(T0 + 120_000).toISOString(),
    actorType: "API_KEY",
    actorId: "key-7",
    action: "snapshot.published",
    entityType: "ConfigSnapshot",
    entityId: "snap-9",
  },
  {
    at: new Date(T0 + 180_000).toISOString(),
    actorType: "SYSTEM",
    actorId: null,
    action: "rollback.started",
    entityType: "Rollback",
    entityId: "rb-1",
    targetId: "chat",
    after: { trafficPercent: 25 },
  },
];

/** A chain as the service writes it, each row with its database id. */
function chainOf(items: readonly Content[]): AuditChainEvent[] {
  const chain: AuditChainEvent[] = [];
  for (const [i, content] of items.entries()) {
    const previous = chain.at(-1) ?? null;
    chain.push({ id: `ev-${i + 1}`, ...linkAuditEvent(previous, content) });
  }
  return chain;
}

const chain = chainOf(contents);

describe("hashAuditEvent", () => {
  it("is the SHA-256 of the canonical content with the previous hash, absent fields as null", () => {
    const first = chain[0]!;
    expect(first.previousHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    expect(first.hash).toBe(
      sha256Hex(
        canonicalJson({
          sequence: 1,
          at: "2025-01-06T12:00:00.000Z",
          actorType: "SYSTEM",
          actorId: null,
          action: "rollback.created",
          entityType: "Rollback",
          entityId: "rb-1",
          targetId: "chat",
          before: null,
          after: { steps: [25, 50, 100], status: "PENDING_APPROVAL" },
          reason: null,
          previousHash: GENESIS_HASH,
        }),
      ),
    );
  });

  it("hashes a missing optional field and a null one alike, as a nullable column reads back", () => {
    const content: AuditEventContent = { ...contents[2]!, sequence: 3 };
    const stored = { ...content, targetId: null, before: null, after: null, reason: null };
    expect(hashAuditEvent(stored, GENESIS_HASH)).toBe(hashAuditEvent(content, GENESIS_HASH));
  });

  it("leaves out a row's own id and hash", () => {
    const row = chain[1]!;
    expect(hashAuditEvent({ ...row, id: "other", hash: "x" } as AuditEventContent, row.previousHash)).toBe(row.hash);
  });

  it.each(["2025-01-06T12:00:00Z", "2025-01-06T13:00:00.000+01:00", "yesterday"])(
    "refuses a time %j not in Date.toISOString() form, which would not hash the same once stored",
    (at) => {
      expect(() => hashAuditEvent({ ...contents[0]!, sequence: 1, at }, GENESIS_HASH)).toThrow(
        expect.objectContaining({
          code: "VALIDATION",
          message: `Audit time must be in Date.toISOString() form, got "${at}"`,
        }),
      );
    },
  );
});

describe("verifyChain", () => {
  it("verifies an intact chain, and an empty one", () => {
    expect(verifyChain(chain)).toEqual({ ok: true, checked: 4 });
    expect(verifyChain([])).toEqual({ ok: true, checked: 0 });
  });

  it("verifies a chain in pages, each starting after the last link of the one before", () => {
    const last = chain[1]!;
    expect(verifyChain(chain.slice(2), { sequence: last.sequence, hash: last.hash })).toEqual({ ok: true, checked: 2 });
    expect(verifyChain(chain.slice(2), { sequence: 2, hash: GENESIS_HASH })).toMatchObject({
      ok: false,
      brokenAt: { sequence: 3, reason: "previous hash mismatch" },
    });
  });

  const fields: [string, (event: AuditChainEvent) => AuditChainEvent][] = [
    ["at", (e) => ({ ...e, at: new Date(Date.parse(e.at) + 1).toISOString() })],
    ["actorType", (e) => ({ ...e, actorType: e.actorType === "USER" ? "SYSTEM" : "USER" })],
    ["actorId", (e) => ({ ...e, actorId: "mallory" })],
    ["action", (e) => ({ ...e, action: "rollback.rejected" })],
    ["entityType", (e) => ({ ...e, entityType: "Target" })],
    ["entityId", (e) => ({ ...e, entityId: "rb-2" })],
    ["targetId", (e) => ({ ...e, targetId: "embeddings" })],
    ["before", (e) => ({ ...e, before: { status: "APPROVED" } })],
    ["after", (e) => ({ ...e, after: { status: "COMPLETED" } })],
    ["reason", (e) => ({ ...e, reason: "nothing to see" })],
    ["hash", (e) => ({ ...e, hash: sha256Hex("forged") })],
  ];

  it.each(fields.flatMap(([field, alter]) => [0, 1, 2, 3].map((k) => [field, k, alter] as const)))(
    "reports a changed %s at event %i itself",
    (_field, k, alter) => {
      const altered = chain.map((event, i) => (i === k ? alter(event) : event));
      expect(verifyChain(altered)).toEqual({
        ok: false,
        checked: k,
        brokenAt: { sequence: k + 1, id: `ev-${k + 1}`, reason: "hash mismatch" },
      });
    },
  );

  it.each([0, 1, 2, 3])("reports a changed previous hash at event %i itself", (k) => {
    const altered = chain.map((event, i) => (i === k ? { ...event, previousHash: sha256Hex("x") } : event));
    expect(verifyChain(altered)).toMatchObject({
      ok: false,
      checked: k,
      brokenAt: { sequence: k + 1, reason: "previous hash mismatch" },
    });
  });

  it.each([1, 2])("reports an event %i rewritten with a fresh hash at the event after it", (k) => {
    const rewritten = { ...chain[k]!, reason: "rewritten" };
    const altered = chain.map((event, i) =>
      i === k ? { ...rewritten, hash: hashAuditEvent(rewritten, rewritten.previousHash) } : event,
    );
    expect(verifyChain(altered)).toMatchObject({
      ok: false,
      checked: k + 1,
      brokenAt: { sequence: k + 2, reason: "previous hash mismatch" },
    });
  });

  it.each([0, 1, 2])("reports deleting event %i at the next one", (k) => {
    const deleted = chain.filter((_event, i) => i !== k);
    expect(verifyChain(deleted)).toEqual({
      ok: false,
      checked: k,
      brokenAt: { sequence: k + 2, id: `ev-${k + 2}`, reason: "sequence gap" },
    });
  });

  it("reports a deletion hidden by renumbering as a broken previous hash", () => {
    const renumbered = [chain[0]!, ...chain.slice(2).map((event) => ({ ...event, sequence: event.sequence - 1 }))];
    expect(verifyChain(renumbered)).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 2, id: "ev-3", reason: "previous hash mismatch" },
    });
  });

  it("reports swapped events, and swapped contents under the original sequence numbers", () => {
    const [a, b, c, d] = chain as [AuditChainEvent, AuditChainEvent, AuditChainEvent, AuditChainEvent];
    expect(verifyChain([a, c, b, d])).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 3, reason: "sequence gap" },
    });
    const swapped = [a, { ...c, sequence: 2 }, { ...b, sequence: 3 }, d];
    expect(verifyChain(swapped)).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 2, reason: "previous hash mismatch" },
    });
  });

  it("reports a missing first event, since the chain starts at sequence 1", () => {
    expect(verifyChain(chain.slice(1))).toMatchObject({
      ok: false,
      checked: 0,
      brokenAt: { sequence: 2, reason: "sequence gap" },
    });
  });

  it("reports the first broken link of any single alteration of a random chain", () => {
    const contentArb: fc.Arbitrary<Content> = fc.record({
      at: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
      actorType: fc.constantFrom("USER", "API_KEY", "SYSTEM"),
      actorId: fc.option(fc.string(), { nil: null }),
      action: fc.string({ minLength: 1 }),
      entityType: fc.string({ minLength: 1 }),
      entityId: fc.string({ minLength: 1 }),
      reason: fc.option(fc.string(), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(contentArb, { minLength: 1, maxLength: 8 }), fc.nat(), fc.string(), (items, pick, text) => {
        const events = chainOf(items);
        expect(verifyChain(events)).toEqual({ ok: true, checked: events.length });
        const k = pick % events.length;
        fc.pre(events[k]!.reason !== text);
        const altered = events.map((event, i) => (i === k ? { ...event, reason: text } : event));
        expect(verifyChain(altered)).toMatchObject({
          ok: false,
          checked: k,
          brokenAt: { sequence: k + 1, reason: "hash mismatch" },
        });
      }),
    );
  });
});
