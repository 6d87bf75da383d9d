import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "@/server/domain/policy";
import { createApiKey } from "@/server/services/access/api-keys";
import { systemActor } from "@/server/services/audit/audit-log";
import { updatePolicy } from "@/server/services/config/policies";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";

const db = testDb();

describe("policies", () => {
  it("serves the default policy until one is saved, then keeps every version with who and when", async () => {
    const target = await makeTarget(db);
    const operator = await makeUser(db, "OPERATOR");
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    expect(await viewer.policies.get({ targetId: target.id })).toMatchObject({
      version: null,
      isDefault: true,
      policy: defaultPolicy,
    });

    const first = new Date("2026-04-01T10:00:00Z");
    const second = new Date("2026-04-01T11:00:00Z");
    await (
      await callerFor(db, operator.id, { now: () => first })
    ).policies.update({
      targetId: target.id,
      policy: { maxErrorRate: 0.02 },
    });
    await (
      await callerFor(db, operator.id, { now: () => second })
    ).policies.update({
      targetId: target.id,
      policy: { maxErrorRate: 0.03, steps: [50, 100] },
    });

    const current = await viewer.policies.get({ targetId: target.id });
    expect(current).toMatchObject({ version: 2, isDefault: false, createdAt: second });
    expect(current.policy).toEqual({ ...defaultPolicy, maxErrorRate: 0.03, steps: [50, 100] });
    const history = await viewer.policies.history({ targetId: target.id });
    expect(history.map((v) => [v.version, v.policy.maxErrorRate, v.createdAt, v.createdBy?.email])).toEqual([
      [2, 0.03, second, operator.email],
      [1, 0.02, first, operator.email],
    ]);

    // A version saved by a machine client names its key, not Rewind.
    const { apiKey } = await createApiKey(
      db,
      { actor: systemActor, name: "policy-as-code", scopes: ["policies:write"] },
      { now: first, encryptionKey: randomBytes(32) },
    );
    await updatePolicy(db, { actorId: null, apiKeyId: apiKey.id, targetId: target.id, policy: {} }, second);
    const [latest] = await viewer.policies.history({ targetId: target.id });
    expect(latest).toMatchObject({
      version: 3,
      createdBy: { id: apiKey.id, name: "API key “policy-as-code”", email: null },
    });
  });

  it("rejects an invalid policy with issues keyed by field and writes nothing", async () => {
    const target = await makeTarget(db);
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id);
    const error = await operator.policies
      .update({ targetId: target.id, policy: { maxErrorRate: 2, steps: [50, 25] } })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      cause: {
        details: {
          issues: {
            maxErrorRate: "Max error rate is a fraction and must be at most 1 (100%)",
            steps: "Steps must ascend and end at 100",
          },
        },
      },
    });
    expect(await db.policy.count({ where: { targetId: target.id } })).toBe(0);
  });

  it("lets only operators save, and numbers concurrent saves without losing one", async () => {
    const target = await makeTarget(db);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    await expect(viewer.policies.update({ targetId: target.id, policy: {} })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const now = new Date("2026-04-02T00:00:00Z");
    const clients = Array.from({ length: 5 }, () => testDb());
    await Promise.all(
      clients.map((client, i) =>
        updatePolicy(client, { actorId: null, targetId: target.id, policy: { minRequests: 10 + i } }, now),
      ),
    );
    const rows = await db.policy.findMany({ where: { targetId: target.id }, orderBy: { version: "asc" } });
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(rows.map((row) => (row.config as { minRequests: number }).minRequests)).size).toBe(5);
  });
});
