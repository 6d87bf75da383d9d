import { describe, expect, it } from "vitest";
import { callerFor, makeUser, rejection, testDb, uniqueSlug } from "../helpers";

const db = testDb();

describe("targets router", () => {
  it("refuses unauthenticated callers and lets viewers read but not create", async () => {
    const anonymous = await callerFor(db, null);
    expect((await rejection(anonymous.targets.list())).code).toBe("UNAUTHORIZED");
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const slug = uniqueSlug();
    expect((await rejection(viewer.targets.create({ slug, name: "Nope" }))).code).toBe("FORBIDDEN");
    expect(await db.target.findUnique({ where: { slug } })).toBeNull();
    expect(Array.isArray(await viewer.targets.list())).toBe(true);
  });

  it("lets an operator create, edit and pause a target, and lists it with its latest verdict", async () => {
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id);
    const slug = uniqueSlug("chat");
    const created = await operator.targets.create({ slug, name: " Chat completions " });
    expect(created).toMatchObject({ slug, name: "Chat completions", description: "", monitoringEnabled: true });
    expect(created.currentSnapshotId).toBeNull();
    const updated = await operator.targets.update({ id: created.id, description: "Main chat route" });
    expect(updated.description).toBe("Main chat route");
    expect((await operator.targets.setMonitoring({ id: created.id, enabled: false })).monitoringEnabled).toBe(false);
    expect(await operator.targets.bySlug({ slug })).toMatchObject({ id: created.id, monitoringEnabled: false });

    const at = new Date("2026-03-01T00:00:00Z");
    await db.verdictRecord.create({
      data: { targetId: created.id, evaluatedAt: at, status: "HEALTHY", consecutiveCount: 0, details: {} },
    });
    const listed = (await operator.targets.list()).find((target) => target.id === created.id);
    expect(listed?.latestVerdict).toEqual({ status: "HEALTHY", severity: null, consecutiveCount: 0, evaluatedAt: at });
  });

  it("reports a duplicate slug as a field conflict and rejects bad slugs", async () => {
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id);
    const slug = uniqueSlug();
    await operator.targets.create({ slug, name: "First" });
    const duplicate = await rejection(operator.targets.create({ slug, name: "Second" }));
    expect(duplicate.code).toBe("CONFLICT");
    expect(duplicate.cause).toMatchObject({ details: { issues: { slug: "A target with this slug already exists" } } });
    for (const bad of ["Upper-Case", "with space", "-leading", "x".repeat(65), ""]) {
      expect((await rejection(operator.targets.create({ slug: bad, name: "Bad" }))).code).toBe("BAD_REQUEST");
    }
  });

  it("answers NOT_FOUND for unknown targets", async () => {
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id);
    expect((await rejection(operator.targets.bySlug({ slug: uniqueSlug() }))).code).toBe("NOT_FOUND");
    expect((await rejection(operator.targets.update({ id: "missing", name: "X" }))).code).toBe("NOT_FOUND");
  });
});
