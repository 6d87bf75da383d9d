// Numbers with 16–17 significant digits read back from a Json column one unit in the last place off (Prisma's
// float parser): hashes and checksums over them must still hold (storableJson, server/domain/canonical-json.ts).
import { expect, it } from "vitest";
import { verifyAuditChain } from "@/server/services/audit/audit-chain";
import { systemActor } from "@/server/services/audit/audit-log";
import { updatePolicy } from "@/server/services/config/policies";
import { publishSnapshot } from "@/server/services/config/snapshot-publishing";
import { getSnapshot } from "@/server/services/config/snapshot-reads";
import { makeTarget, testDb } from "../helpers";

const db = testDb();
// Found by the input fuzz test: stored and read back, this became 0.01471725973727665.
const LONG = 0.014717259737276651;

it("a policy and a snapshot config with a long float keep the audit chain and the checksum intact", async () => {
  const now = new Date();
  const target = await makeTarget(db);
  await updatePolicy(db, { actorId: null, targetId: target.id, policy: { maxErrorRate: LONG } }, now);
  const { snapshot } = await publishSnapshot(
    db,
    { actor: systemActor, targetId: target.id, config: { routes: [{ weight: LONG }], temperature: 0.1 + 0.2 } },
    now,
  );

  expect(await getSnapshot(db, snapshot.id)).toMatchObject({
    checksumOk: true,
    config: { routes: [{ weight: 0.0147172597372767 }], temperature: 0.3 },
  });
  expect(await verifyAuditChain(db, {}, { now: new Date(), full: true })).toMatchObject({ ok: true, brokenAt: null });
});
