// Settings → Users → Failed sign-ins against the real routers on the run's real database (./render).
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { SignInAttempts } from "@/components/settings/sign-in-attempts";
import { SIGN_IN_LIMITS } from "@/server/domain/sign-in-throttle";
import { authenticate } from "@/server/services/access/sign-in";
import { makeUser, testDb, uniqueEmail } from "../integration/helpers";
import { renderAs } from "./render";

const db = testDb();

describe("SignInAttempts", () => {
  it("lists wrong passwords and refused attempts by email and client", async () => {
    const admin = await makeUser(db, "ADMIN");
    const email = uniqueEmail("guessed");
    const attempt = { client: "203.0.113.44", now: new Date() };
    for (let i = 0; i < SIGN_IN_LIMITS.accountFromClient.free + 2; i++) {
      await authenticate(db, { email, password: "not the password" }, attempt).catch(() => undefined);
    }
    const later = { client: "unknown", now: new Date(attempt.now.getTime() + 1000) };
    await authenticate(db, { email, password: "not the password" }, later).catch(() => undefined);

    renderAs({ db, userId: admin.id }, <SignInAttempts />);
    const table = await screen.findByRole("table", { name: "Failed sign-ins" });
    const rows = within(table)
      .getAllByRole("row")
      .filter((row) => row.textContent.includes(email));
    // Newest first; the last column is a relative time.
    expect(
      rows.map((row) =>
        within(row)
          .getAllByRole("cell")
          .map((cell) => cell.textContent)
          .slice(0, 3),
      ),
    ).toEqual([
      ["unknown", "1", "0"],
      ["203.0.113.44", "5", "2"],
    ]);
  });

  it("is refused to non-admins", async () => {
    const operator = await makeUser(db, "OPERATOR");
    renderAs({ db, userId: operator.id }, <SignInAttempts />);
    expect(await screen.findByText(/Could not load the failed sign-ins/)).toBeInTheDocument();
  });
});
