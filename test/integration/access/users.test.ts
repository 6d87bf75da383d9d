import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { SIGN_IN_LIMITS } from "@/server/domain/sign-in-throttle";
import { findSessionUser } from "@/server/services/access/sessions";
import { authenticate } from "@/server/services/access/sign-in";
import { commandLineActor } from "@/server/services/audit/audit-log";
import { resetPassword } from "@/server/services/access/users";
import { callerFor, makeUser, rejection, sessionOf, testDb, testPassword, uniqueEmail } from "../helpers";

const db = testDb();

describe("users router", () => {
  it("refuses an unauthenticated caller with UNAUTHORIZED", async () => {
    const caller = await callerFor(db, null);
    expect((await rejection(caller.users.list())).code).toBe("UNAUTHORIZED");
    expect((await rejection(caller.users.me())).code).toBe("UNAUTHORIZED");
  });

  it("refuses a viewer calling an admin procedure with FORBIDDEN, and creates nothing", async () => {
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id);
    const email = uniqueEmail("sneaky");
    const error = await rejection(
      caller.users.create({ email, name: "Sneaky", role: "ADMIN", password: testPassword }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(await db.user.findUnique({ where: { email } })).toBeNull();
  });

  it.each(["OPERATOR", "APPROVER"] as const)("refuses a %s on admin procedures", async (role) => {
    const user = await makeUser(db, role);
    const caller = await callerFor(db, user.id);
    expect((await rejection(caller.users.list())).code).toBe("FORBIDDEN");
  });

  it("lets an admin create a user and never returns password hashes", async () => {
    const admin = await makeUser(db, "ADMIN");
    const caller = await callerFor(db, admin.id);
    const email = uniqueEmail("new");
    const created = await caller.users.create({
      email: email.toUpperCase(),
      name: "New",
      role: "VIEWER",
      password: testPassword,
    });
    expect(created.email).toBe(email);
    expect(created).not.toHaveProperty("passwordHash");
    const listed = await caller.users.list();
    expect(listed.find((user) => user.email === email)?.role).toBe("VIEWER");
    expect(listed.every((user) => !("passwordHash" in user))).toBe(true);
  });

  it("reports a duplicate email as a clear field error", async () => {
    const admin = await makeUser(db, "ADMIN");
    const caller = await callerFor(db, admin.id);
    const existing = await makeUser(db, "VIEWER");
    const error = await rejection(
      caller.users.create({ email: existing.email, name: "Twin", role: "VIEWER", password: testPassword }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toBe("A user with this email already exists");
    expect(error.cause).toMatchObject({ details: { issues: { email: "A user with this email already exists" } } });
  });

  it("rejects malformed input with BAD_REQUEST and writes nothing", async () => {
    const admin = await makeUser(db, "ADMIN");
    const caller = await callerFor(db, admin.id);
    const before = await db.user.count();
    const error = await rejection(
      caller.users.create({ email: "not-an-email", name: "", role: "VIEWER", password: "short" }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(await db.user.count()).toBe(before);
  });

  it("re-reads the role from the database: a demoted admin loses access at once", async () => {
    const keeper = await makeUser(db, "ADMIN");
    const admin = await makeUser(db, "ADMIN");
    await (await callerFor(db, admin.id)).users.list();
    const session = await sessionOf(db, admin.id);
    await (await callerFor(db, keeper.id)).users.changeRole({ userId: admin.id, role: "VIEWER" });
    // The session from before the change has ended; a new sign-in has the new role, not the admin's.
    const sameSession = createCaller(await createContext({ db, session }));
    expect((await rejection(sameSession.users.me())).code).toBe("UNAUTHORIZED");
    const signedInAgain = await callerFor(db, admin.id);
    expect((await rejection(signedInAgain.users.list())).code).toBe("FORBIDDEN");
  });

  it("treats a disabled user's session as signed out", async () => {
    const admin = await makeUser(db, "ADMIN");
    const viewer = await makeUser(db, "VIEWER");
    await (await callerFor(db, admin.id)).users.setDisabled({ userId: viewer.id, disabled: true });
    const caller = await callerFor(db, viewer.id);
    expect((await rejection(caller.users.me())).code).toBe("UNAUTHORIZED");
  });

  it("does not let an admin disable their own account", async () => {
    const admin = await makeUser(db, "ADMIN");
    await makeUser(db, "ADMIN");
    const error = await rejection(
      (await callerFor(db, admin.id)).users.setDisabled({ userId: admin.id, disabled: true }),
    );
    expect(error.code).toBe("PRECONDITION_FAILED");
  });
});

describe("last-admin protection", () => {
  /** An admin who is the only active one: every other admin is disabled directly. */
  async function onlyAdmin() {
    const admin = await makeUser(db, "ADMIN");
    await db.user.updateMany({ where: { role: "ADMIN", id: { not: admin.id } }, data: { disabled: true } });
    return admin;
  }

  it("refuses to demote or disable the last active admin", async () => {
    const admin = await onlyAdmin();
    const other = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, admin.id);
    const demote = await rejection(caller.users.changeRole({ userId: admin.id, role: "APPROVER" }));
    expect(demote.code).toBe("PRECONDITION_FAILED");
    expect(demote.message).toMatch(/last active admin/);
    // Through another path: a second admin who is then disabled cannot take the last one along.
    await caller.users.changeRole({ userId: other.id, role: "ADMIN" });
    await caller.users.setDisabled({ userId: other.id, disabled: true });
    const again = await rejection(caller.users.changeRole({ userId: admin.id, role: "VIEWER" }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    expect((await db.user.findUniqueOrThrow({ where: { id: admin.id } })).role).toBe("ADMIN");
  });

  it("allows it once another admin is active", async () => {
    const admin = await onlyAdmin();
    const caller = await callerFor(db, admin.id);
    const other = await makeUser(db, "VIEWER");
    await caller.users.changeRole({ userId: other.id, role: "ADMIN" });
    const demoted = await caller.users.changeRole({ userId: admin.id, role: "OPERATOR" });
    expect(demoted.role).toBe("OPERATOR");
  });

  it("lets exactly one of two admins demoting each other at once succeed", async () => {
    const first = await onlyAdmin();
    const second = await makeUser(db, "ADMIN");
    const [a, b] = [await callerFor(db, first.id), await callerFor(db, second.id)];
    const results = await Promise.allSettled([
      a.users.changeRole({ userId: second.id, role: "VIEWER" }),
      b.users.changeRole({ userId: first.id, role: "VIEWER" }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(await db.user.count({ where: { role: "ADMIN", disabled: false } })).toBe(1);
  });
});

describe("password reset (recovery CLI)", () => {
  it("sets a new password, clears the throttle, re-enables the account and ends its sessions", async () => {
    const user = await makeUser(db, "ADMIN");
    const before = await sessionOf(db, user.id);
    const attempt = { client: "192.0.2.200", now: new Date() };
    for (let i = 0; i < SIGN_IN_LIMITS.accountFromClient.free; i++) {
      await authenticate(db, { email: user.email, password: "nope nope nope" }, attempt).catch(() => undefined);
    }
    await db.user.update({ where: { id: user.id }, data: { disabled: true } });
    await resetPassword(
      db,
      { actor: commandLineActor("ops@host"), email: user.email, password: "a brand new passphrase" },
      attempt.now,
    );
    const signedIn = await authenticate(db, { email: user.email, password: "a brand new passphrase" }, attempt);
    expect(signedIn.id).toBe(user.id);
    await expect(authenticate(db, { email: user.email, password: testPassword }, attempt)).rejects.toThrow(
      "Wrong email or password",
    );
    expect(await findSessionUser(db, before)).toBeNull();
    expect(signedIn.sessionVersion).toBe((before?.sessionVersion ?? 0) + 1);
  });

  it("says so for an unknown email", async () => {
    await expect(
      resetPassword(
        db,
        { actor: commandLineActor("ops@host"), email: uniqueEmail("ghost"), password: testPassword },
        new Date(),
      ),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
