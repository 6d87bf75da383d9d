// The console's header against the real routers on the run's real database (./render): the links a role is
// offered, and the count of rollbacks waiting for approval in the nav and in the document's title, live.
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ConsoleNav } from "@/components/console-nav";
import type { RoleName } from "@/server/domain/roles";
import { userActor } from "@/server/services/audit/audit-log";
import { cancelRollback, startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { makeUser, testDb } from "../integration/helpers";
import { breachVerdict, lifecyclePolicy, lifecycleTarget, rollbackDecision } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";

vi.mock("next/navigation", () => ({ usePathname: () => "/" }));
vi.mock("next-auth/react", () => ({ signOut: vi.fn() }));

const db = testDb();
/** The nav polls every 5 s: a change shows within two polls. */
const polled = { timeout: 12_000 };

async function renderNav(role: RoleName) {
  const user = await makeUser(db, role);
  return renderAs({ db, userId: user.id }, <ConsoleNav user={{ name: user.name, email: user.email, role }} />);
}

const pendingCount = () => db.rollback.count({ where: { status: "PENDING_APPROVAL" } });

async function propose() {
  const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date());
  const { rollbackId } = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(),
  );
  return rollbackId;
}

describe("ConsoleNav", () => {
  it("offers Settings to admins only: every settings page needs the admin role", async () => {
    for (const role of ["VIEWER", "OPERATOR", "APPROVER"] as const) {
      const { unmount } = await renderNav(role);
      const nav = screen.getByRole("navigation", { name: "Main" });
      expect(within(nav).getByRole("link", { name: /^Audit/ })).toBeInTheDocument();
      expect(within(nav).queryByRole("link", { name: /^Settings/ })).toBeNull();
      unmount();
    }
    await renderNav("ADMIN");
    expect(
      within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Settings" }),
    ).toHaveAttribute("href", "/settings");
  });

  it("counts the rollbacks waiting for approval in the nav and the title, up and down as they come and go", async () => {
    document.title = "Overview · Rewind";
    const { unmount } = await renderNav("VIEWER");
    const approvals = () =>
      within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: /^Approvals/ });
    const expectCount = async (count: number) => {
      await waitFor(() => {
        expect(approvals()).toHaveAccessibleName(count === 0 ? "Approvals" : `Approvals, ${count} waiting`);
        expect(document.title).toBe(count === 0 ? "Overview · Rewind" : `(${count}) Overview · Rewind`);
      }, polled);
    };

    await expectCount(await pendingCount());
    const rollbackId = await propose();
    const withOne = await pendingCount();
    expect(withOne).toBeGreaterThan(0);
    await expectCount(withOne);

    // Next sets the title again on navigation: the count goes back in front of the new one.
    document.title = "Approvals · Rewind";
    await waitFor(() => expect(document.title).toBe(`(${withOne}) Approvals · Rewind`));
    document.title = "Overview · Rewind";

    const approver = await makeUser(db, "APPROVER");
    await cancelRollback(db, { actor: userActor(approver.id), rollbackId, reason: "Fixed upstream" }, new Date());
    await expectCount(withOne - 1);
    unmount();
    expect(document.title).toBe("Overview · Rewind");
  });
});
