import fc from "fast-check";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkpointTextSchema } from "@/server/domain/audit";
import { canonicalJson, sha256Hex } from "@/server/domain/canonical-json";
import {
  auditKeyId,
  CHAIN_START,
  checkCheckpoint,
  checkpointDue,
  checkpointLine,
  checkpointSigner,
  GENESIS_HASH,
  hashAuditEvent,
  linkAuditEvent,
  macAuditEvent,
  signCheckpoint,
  verifiedPrefixSigner,
  verifiedPrefixTag,
  verifyChain,
  type AuditChainEvent,
  type AuditEventContent,
} from "@/server/domain/audit-chain";
import { T0 } from "./fixtures";

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 9);
const KEYS = [KEY];

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

/** A chain as the service writes it, each row with its database id; `keys[i]` keys event i (else the last key). */
function chainOf(items: readonly Content[], keys: readonly Buffer[] = [KEY], after: AuditChainEvent[] = []) {
  const chain: AuditChainEvent[] = [...after];
  for (const [i, content] of items.entries()) {
    const previous = chain.at(-1) ?? null;
    const key = keys[Math.min(i, keys.length - 1)]!;
    chain.push({ id: `ev-${chain.length + 1}`, ...linkAuditEvent(previous, content, key) });
  }
  return chain;
}

/** Events as written before the keyed chain: unkeyed SHA-256, scheme "sha256". */
function legacyChainOf(items: readonly Content[]): AuditChainEvent[] {
  const chain: AuditChainEvent[] = [];
  for (const [i, content] of items.entries()) {
    const previous = chain.at(-1);
    const event = { ...content, sequence: i + 1 };
    const previousHash = previous?.hash ?? GENESIS_HASH;
    chain.push({
      id: `ev-${i + 1}`,
      ...event,
      previousHash,
      hash: hashAuditEvent(event, previousHash),
      hashScheme: "sha256",
    });
  }
  return chain;
}

/** What someone with database access but without the key can do: rewrite event k and re-hash the rest with SHA-256. */
function rewrittenWithSha256(events: readonly AuditChainEvent[], k: number, flipScheme: boolean): AuditChainEvent[] {
  const out: AuditChainEvent[] = [];
  for (const [i, event] of events.entries()) {
    if (i < k) {
      out.push(event);
      continue;
    }
    const edited = i === k ? { ...event, reason: "nothing happened here" } : event;
    const previousHash = out.at(-1)?.hash ?? GENESIS_HASH;
    out.push({
      ...edited,
      previousHash,
      hash: hashAuditEvent(edited, previousHash),
      hashScheme: flipScheme ? "sha256" : edited.hashScheme,
    });
  }
  return out;
}

const chain = chainOf(contents);

describe("hashAuditEvent and macAuditEvent", () => {
  const firstText = () =>
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
    });

  it("keys new events: HMAC-SHA256 under the chain key of the canonical content with the previous hash", () => {
    const first = chain[0]!;
    expect(first.hashScheme).toBe("hmac-sha256");
    expect(first.hash).toBe(createHmac("sha256", KEY).update(firstText()).digest("hex"));
    expect(macAuditEvent(first, GENESIS_HASH, OTHER_KEY)).not.toBe(first.hash);
    expect(hashAuditEvent(first, GENESIS_HASH)).not.toBe(first.hash);
  });

  it("keeps the legacy hash: the SHA-256 of the same canonical text, absent fields as null", () => {
    const first = legacyChainOf(contents)[0]!;
    expect(first.previousHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    expect(first.hash).toBe(sha256Hex(firstText()));
  });

  it("hashes a missing optional field and a null one alike, as a nullable column reads back", () => {
    const content: AuditEventContent = { ...contents[2]!, sequence: 3 };
    const stored = { ...content, targetId: null, before: null, after: null, reason: null };
    expect(hashAuditEvent(stored, GENESIS_HASH)).toBe(hashAuditEvent(content, GENESIS_HASH));
  });

  it("leaves out a row's own id, hash and scheme", () => {
    const row = chain[1]!;
    const other = { ...row, id: "other", hash: "x", hashScheme: "y" } as AuditEventContent;
    expect(macAuditEvent(other, row.previousHash, KEY)).toBe(row.hash);
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
    const last = chain.at(-1)!;
    expect(verifyChain(chain, KEYS)).toEqual({
      ok: true,
      checked: 4,
      position: { sequence: 4, hash: last.hash, keyIndex: 0 },
    });
    expect(verifyChain([], KEYS)).toEqual({ ok: true, checked: 0, position: CHAIN_START });
  });

  it("verifies a chain in pages, each starting after the last link of the one before", () => {
    const last = chain[1]!;
    const position = { sequence: last.sequence, hash: last.hash, keyIndex: 0 };
    expect(verifyChain(chain.slice(2), KEYS, position)).toMatchObject({ ok: true, checked: 2 });
    expect(verifyChain(chain.slice(2), KEYS, { ...position, hash: GENESIS_HASH })).toMatchObject({
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
    ["hash, recomputed without the key", (e) => ({ ...e, hash: hashAuditEvent(e, e.previousHash) })],
    ["hash, recomputed under another key", (e) => ({ ...e, hash: macAuditEvent(e, e.previousHash, OTHER_KEY) })],
  ];

  it.each(fields.flatMap(([field, alter]) => [0, 1, 2, 3].map((k) => [field, k, alter] as const)))(
    "reports a changed %s at event %i itself",
    (_field, k, alter) => {
      const altered = chain.map((event, i) => (i === k ? alter(event) : event));
      expect(verifyChain(altered, KEYS)).toMatchObject({
        ok: false,
        checked: k,
        brokenAt: { sequence: k + 1, id: `ev-${k + 1}`, reason: "hash mismatch" },
      });
    },
  );

  it.each([0, 1, 2, 3])("reports a changed previous hash at event %i itself", (k) => {
    const altered = chain.map((event, i) => (i === k ? { ...event, previousHash: sha256Hex("x") } : event));
    expect(verifyChain(altered, KEYS)).toMatchObject({
      ok: false,
      checked: k,
      brokenAt: { sequence: k + 1, reason: "previous hash mismatch" },
    });
  });

  it.each([1, 2])("reports an event %i rewritten with a fresh keyed hash at the event after it", (k) => {
    // Only someone holding the key can do this; the next event's link still shows it.
    const rewritten = { ...chain[k]!, reason: "rewritten" };
    const altered = chain.map((event, i) =>
      i === k ? { ...rewritten, hash: macAuditEvent(rewritten, rewritten.previousHash, KEY) } : event,
    );
    expect(verifyChain(altered, KEYS)).toMatchObject({
      ok: false,
      checked: k + 1,
      brokenAt: { sequence: k + 2, reason: "previous hash mismatch" },
    });
  });

  it.each([0, 1, 2, 3])(
    "reports event %i edited and every later hash recomputed with plain SHA-256 (no key) at the edit",
    (k) => {
      expect(verifyChain(rewrittenWithSha256(chain, k, false), KEYS)).toMatchObject({
        ok: false,
        checked: k,
        brokenAt: { sequence: k + 1, reason: "hash mismatch" },
      });
      // Marking the rewritten events as legacy does not help after the first keyed event…
      if (k > 0) {
        expect(verifyChain(rewrittenWithSha256(chain, k, true), KEYS)).toMatchObject({
          ok: false,
          checked: k,
          brokenAt: { sequence: k + 1, reason: "legacy hash after keyed events" },
        });
      }
    },
  );

  it("accepts a chain rewritten entirely as legacy events, which only a checkpoint shows", () => {
    // …and from the very first event it is a consistent legacy chain: what checkpoints are for (below).
    const rewritten = rewrittenWithSha256(chain, 0, true);
    expect(verifyChain(rewritten, KEYS)).toMatchObject({ ok: true, position: { keyIndex: null } });
    const checkpoint = { sequence: 4, hash: chain[3]!.hash, at: new Date(T0).toISOString() };
    const signed = { ...checkpoint, signature: signCheckpoint(checkpoint, KEY) };
    expect(checkCheckpoint(signed, KEYS, { headSequence: 4, hashAtSequence: rewritten[3]!.hash })).toBe("rewritten");
  });

  it.each([0, 1, 2])("reports deleting event %i at the next one", (k) => {
    const deleted = chain.filter((_event, i) => i !== k);
    expect(verifyChain(deleted, KEYS)).toMatchObject({
      ok: false,
      checked: k,
      brokenAt: { sequence: k + 2, id: `ev-${k + 2}`, reason: "sequence gap" },
    });
  });

  it("reports a deletion hidden by renumbering as a broken previous hash", () => {
    const renumbered = [chain[0]!, ...chain.slice(2).map((event) => ({ ...event, sequence: event.sequence - 1 }))];
    expect(verifyChain(renumbered, KEYS)).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 2, id: "ev-3", reason: "previous hash mismatch" },
    });
  });

  it("reports swapped events, and swapped contents under the original sequence numbers", () => {
    const [a, b, c, d] = chain as [AuditChainEvent, AuditChainEvent, AuditChainEvent, AuditChainEvent];
    expect(verifyChain([a, c, b, d], KEYS)).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 3, reason: "sequence gap" },
    });
    const swapped = [a, { ...c, sequence: 2 }, { ...b, sequence: 3 }, d];
    expect(verifyChain(swapped, KEYS)).toMatchObject({
      ok: false,
      checked: 1,
      brokenAt: { sequence: 2, reason: "previous hash mismatch" },
    });
  });

  it("reports a missing first event, since the chain starts at sequence 1", () => {
    expect(verifyChain(chain.slice(1), KEYS)).toMatchObject({
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
        expect(verifyChain(events, KEYS)).toMatchObject({ ok: true, checked: events.length });
        const k = pick % events.length;
        fc.pre(events[k]!.reason !== text);
        const altered = events.map((event, i) => (i === k ? { ...event, reason: text } : event));
        expect(verifyChain(altered, KEYS)).toMatchObject({
          ok: false,
          checked: k,
          brokenAt: { sequence: k + 1, reason: "hash mismatch" },
        });
      }),
    );
  });
});

describe("the legacy prefix and key rotation", () => {
  const legacy = legacyChainOf(contents.slice(0, 2));
  const upgraded = chainOf(contents.slice(2), [KEY], legacy);

  it("verifies unkeyed legacy events before the first keyed one, and the keyed ones after them", () => {
    expect(upgraded.map((event) => event.hashScheme)).toEqual(["sha256", "sha256", "hmac-sha256", "hmac-sha256"]);
    expect(verifyChain(upgraded, KEYS)).toMatchObject({ ok: true, checked: 4, position: { keyIndex: 0 } });
    expect(verifyChain(legacy, KEYS)).toMatchObject({ ok: true, position: { keyIndex: null } });
  });

  it("protects the legacy prefix by the first keyed event: rewriting it breaks that link", () => {
    const rewritten = rewrittenWithSha256(legacy, 1, true);
    expect(verifyChain([...rewritten, ...upgraded.slice(2)], KEYS)).toMatchObject({
      ok: false,
      checked: 2,
      brokenAt: { sequence: 3, reason: "previous hash mismatch" },
    });
  });

  it("refuses a legacy event after a keyed one, and a scheme Rewind does not write", () => {
    const appended = legacyChainOf([...contents, contents[0]!]).at(-1)!;
    const forged = { ...appended, previousHash: upgraded.at(-1)!.hash };
    const tail = { ...forged, hash: hashAuditEvent(forged, forged.previousHash) };
    expect(verifyChain([...upgraded, tail], KEYS)).toMatchObject({
      ok: false,
      checked: 4,
      brokenAt: { sequence: 5, reason: "legacy hash after keyed events" },
    });
    const odd = upgraded.map((event, i) => (i === 3 ? { ...event, hashScheme: "md5" } : event));
    expect(verifyChain(odd, KEYS)).toMatchObject({
      ok: false,
      brokenAt: { sequence: 4, reason: "unknown hash scheme" },
    });
  });

  it("follows a rotation: events under the old key, then the new, verify with both keys in order", () => {
    const rotated = chainOf(contents, [KEY, KEY, OTHER_KEY]);
    expect(verifyChain(rotated, [KEY, OTHER_KEY])).toMatchObject({ ok: true, position: { keyIndex: 1 } });
    expect(verifyChain(rotated, [OTHER_KEY])).toMatchObject({
      ok: false,
      brokenAt: { sequence: 1, reason: "hash mismatch" },
    });
    expect(verifyChain(rotated, [KEY])).toMatchObject({
      ok: false,
      brokenAt: { sequence: 3, reason: "hash mismatch" },
    });
  });

  it("refuses an event under a retired key once the chain moved to the next", () => {
    // A leaked old key cannot extend the chain after the rotation.
    const rotated = chainOf(contents, [KEY, OTHER_KEY, KEY]);
    expect(verifyChain(rotated, [KEY, OTHER_KEY])).toMatchObject({
      ok: false,
      checked: 2,
      brokenAt: { sequence: 3, reason: "retired key" },
    });
  });

  it("resumes from a position with its key, so a retired key is refused across pages too", () => {
    const rotated = chainOf(contents, [KEY, OTHER_KEY, KEY]);
    const second = rotated[1]!;
    expect(
      verifyChain(rotated.slice(2), [KEY, OTHER_KEY], { sequence: 2, hash: second.hash, keyIndex: 1 }),
    ).toMatchObject({ ok: false, brokenAt: { sequence: 3, reason: "retired key" } });
  });
});

describe("checkpoints", () => {
  const head = chain.at(-1)!;
  const statement = { sequence: head.sequence, hash: head.hash, at: "2025-01-06T13:00:00.000Z" };
  const signed = { ...statement, signature: signCheckpoint(statement, KEY) };

  it("signs sequence, hash and time with the chain key, apart from event hashes", () => {
    expect(signed.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(checkpointSigner(signed, [OTHER_KEY, KEY])).toBe(1);
    expect(signCheckpoint(statement, OTHER_KEY)).not.toBe(signed.signature);
    expect(signed.signature).not.toBe(createHmac("sha256", KEY).update(canonicalJson(statement)).digest("hex"));
  });

  it.each([
    ["a forged signature", { ...signed, signature: sha256Hex("forged") }],
    ["a signature under another key", { ...statement, signature: signCheckpoint(statement, OTHER_KEY) }],
    ["a moved sequence", { ...signed, sequence: 3 }],
    ["a changed hash", { ...signed, hash: chain[2]!.hash }],
    ["a changed time", { ...signed, at: "2025-01-07T13:00:00.000Z" }],
  ])("rejects %s", (_what, checkpoint) => {
    expect(checkpointSigner(checkpoint, KEYS)).toBeNull();
    expect(checkCheckpoint(checkpoint, KEYS, { headSequence: 4, hashAtSequence: checkpoint.hash })).toBe(
      "bad signature",
    );
  });

  it("matches the chain that reaches it with the same hash, and tells a cut-back from a rewritten chain", () => {
    expect(checkCheckpoint(signed, KEYS, { headSequence: 4, hashAtSequence: head.hash })).toBe("matches");
    expect(checkCheckpoint(signed, KEYS, { headSequence: 9, hashAtSequence: head.hash })).toBe("matches");
    expect(checkCheckpoint(signed, KEYS, { headSequence: 3, hashAtSequence: null })).toBe("truncated");
    expect(checkCheckpoint(signed, KEYS, { headSequence: null, hashAtSequence: null })).toBe("truncated");
    expect(checkCheckpoint(signed, KEYS, { headSequence: 4, hashAtSequence: chain[2]!.hash })).toBe("rewritten");
    expect(checkCheckpoint(signed, KEYS, { headSequence: 6, hashAtSequence: null })).toBe("rewritten");
  });

  it("writes the line with the signing key's public id", () => {
    const line = checkpointLine(signed, KEY);
    expect(line).toEqual({ type: "rewind.audit.checkpoint", ...signed, keyId: auditKeyId(KEY) });
    expect(auditKeyId(KEY)).toMatch(/^[0-9a-f]{16}$/);
    expect(auditKeyId(OTHER_KEY)).not.toBe(auditKeyId(KEY));
    expect(checkpointTextSchema.parse(JSON.stringify(line))).toEqual(signed);
  });

  it("reads a pasted checkpoint from a file line or a webhook body, and says what is wrong with anything else", () => {
    const body = { id: "n1", event: "audit.checkpoint", payload: checkpointLine(signed, KEY) };
    expect(checkpointTextSchema.parse(`  ${JSON.stringify(body)}\n`)).toEqual(signed);
    const issue = (text: string) => checkpointTextSchema.safeParse(text).error?.issues[0]?.message;
    expect(issue("not json")).toBe("Not JSON: paste one checkpoint line as it was sent");
    expect(issue(JSON.stringify({ ...signed, hash: "abc" }))).toBe("Not a checkpoint: hash must be 64 hex digits");
    expect(issue(JSON.stringify({ ...signed, at: "2025-01-06T13:00:00Z" }))).toBe(
      "Not a checkpoint: at must be in the exported form (milliseconds and Z)",
    );
    expect(issue("")).toBe("Paste a checkpoint");
  });

  it("is due when the chain moved and the last one is old enough or far enough behind", () => {
    const now = new Date(T0 + 3_600_000);
    const rule = { now, intervalMs: 3_600_000, everyEvents: 100 };
    expect(checkpointDue(null, null, rule)).toBe(false);
    expect(checkpointDue({ sequence: 1 }, null, rule)).toBe(true);
    expect(checkpointDue({ sequence: 5 }, { sequence: 5, at: new Date(T0 - 86_400_000) }, rule)).toBe(false);
    expect(checkpointDue({ sequence: 6 }, { sequence: 5, at: new Date(T0) }, rule)).toBe(true);
    expect(checkpointDue({ sequence: 6 }, { sequence: 5, at: new Date(T0 + 1) }, rule)).toBe(false);
    expect(checkpointDue({ sequence: 105 }, { sequence: 5, at: new Date(T0 + 1) }, rule)).toBe(true);
    // A chain shorter than the last checkpoint was cut back: reported, never signed.
    expect(checkpointDue({ sequence: 4 }, { sequence: 5, at: new Date(T0 - 86_400_000) }, rule)).toBe(false);
  });
});

describe("the verified prefix tag", () => {
  it("binds the sequence and the hash to the chain key", () => {
    const link = { sequence: 4, hash: chain[3]!.hash };
    const tag = verifiedPrefixTag(link, KEY);
    expect(verifiedPrefixSigner(link, tag, [OTHER_KEY, KEY])).toBe(1);
    expect(verifiedPrefixSigner({ ...link, sequence: 5 }, tag, KEYS)).toBeNull();
    expect(verifiedPrefixSigner({ ...link, hash: chain[2]!.hash }, tag, KEYS)).toBeNull();
    expect(verifiedPrefixSigner(link, verifiedPrefixTag(link, OTHER_KEY), KEYS)).toBeNull();
  });
});
