// Revocable sessions (server/services/access/sessions.ts): a token names its user's session version, and the
// changes that must sign a user out raise it.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { findSessionUser, signOut, type SessionClaim } from "@/server/services/access/sessions";
import { authenticate } from "@/server/services/access/sign-in";
import { commandLineActor } from "@/server/services/audit/audit-log";
import { resetPassword } from "@/server/services/access/users";
import { callerFor, makeUser, testDb, testPassword } from "../helpers";

const db = testDb();

async function signIn(email: string): Promise<SessionClaim> {
  const user = await authenticate(db, { email, password: testPassword }, { client: "192.0.2.10", now: new Date() });
  return { userId: user.id, sessionVersion: user.sessionVersion };
}

/** users.me as a request carrying this session's token: the user, or the refusal's code. */
async function me(session: SessionClaim) {
  const caller = createCaller(await createContext({ db, session }));
  try {
    return (await caller.users.me()).id;
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("sessions", () => {
  it("ends every session of the user at sign-out, for tRPC and pages alike", async () => {
    const user = await makeUser(db, "OPERATOR");
    const laptop = await signIn(user.email);
    const phone = await signIn(user.email);
    expect(await me(laptop)).toBe(user.id);

    expect(await signOut(db, laptop)).toBe(true);
    // The signed-out token has not expired, yet it no longer signs anyone in; nor does the other device's.
    expect(await me(laptop)).toBe("UNAUTHORIZED");
    expect(await me(phone)).toBe("UNAUTHORIZED");
    expect(await findSessionUser(db, laptop)).toBeNull();

    const again = await signIn(user.email);
    expect(await me(again)).toBe(user.id);
  });

  it("does not let a replayed sign-out of an ended session end the current one", async () => {
    const user = await makeUser(db, "VIEWER");
    const old = await signIn(user.email);
    await signOut(db, old);
    const current = await signIn(user.email);
    expect(await signOut(db, old)).toBe(false);
    expect(await me(current)).toBe(user.id);
  });

  it.each([
    [
      "a role change",
      (admin: string, userId: string) =>
        callerFor(db, admin).then((c) => c.users.changeRole({ userId, role: "APPROVER" })),
    ],
    [
      "disabling",
      (admin: string, userId: string) =>
        callerFor(db, admin).then((c) => c.users.setDisabled({ userId, disabled: true })),
    ],
  ] as const)("ends the user's sessions on %s", async (_, change) => {
    const admin = await makeUser(db, "ADMIN");
    const user = await makeUser(db, "OPERATOR");
    const session = await signIn(user.email);
    await change(admin.id, user.id);
    expect(await me(session)).toBe("UNAUTHORIZED");
    // The admin who made the change is still signed in.
    expect((await (await callerFor(db, admin.id)).users.me())?.id).toBe(admin.id);
  });

  it("ends the user's sessions on a password reset", async () => {
    const user = await makeUser(db, "ADMIN");
    const session = await signIn(user.email);
    await resetPassword(
      db,
      { actor: commandLineActor("ops@host"), email: user.email, password: "another long passphrase" },
      new Date(),
    );
    expect(await me(session)).toBe("UNAUTHORIZED");
  });

  it("keeps sessions through changes that change nothing, and other users' sessions through any", async () => {
    const admin = await makeUser(db, "ADMIN");
    const user = await makeUser(db, "OPERATOR");
    const bystander = await makeUser(db, "OPERATOR");
    const session = await signIn(user.email);
    const bystanderSession = await signIn(bystander.email);
    const caller = await callerFor(db, admin.id);
    await caller.users.changeRole({ userId: user.id, role: "OPERATOR" });
    await caller.users.setDisabled({ userId: user.id, disabled: false });
    expect(await me(session)).toBe(user.id);

    await caller.users.setDisabled({ userId: user.id, disabled: true });
    await caller.users.setDisabled({ userId: user.id, disabled: false });
    expect(await me(session)).toBe("UNAUTHORIZED");
    expect(await me(bystanderSession)).toBe(bystander.id);
  });
});
