// The overview page's live part against the real routers on the run's real database, through the in-process
// tRPC client of ./render. The database is shared with other tests, so each test finds its own targets.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Overview } from "@/components/overview/overview";
import { bucketStart } from "@/server/domain/metrics";
import type { RoleName } from "@/server/domain/roles";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { BUCKET_MS, makeTarget, makeUser, testDb, traffic } from "../integration/helpers";
import { breach, createSnapshot } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";

const db = testDb();

// The system state is one row shared by every test of the run: leave it as found.
afterEach(async () => {
  await db.systemState.updateMany({ data: { emergencyStopActive: false, monitoringPaused: false } });
});

/** A target in an emergency breach on v2, rolling back to v1 at step 1 of 2, with the last 10 minutes of traffic. */
async function troubledTarget() {
  const now = Date.now();
  const target = await makeTarget(db);
  const v1 = await createSnapshot(db, target.id, 1, { knownGoodAt: new Date(0) });
  const v2 = await createSnapshot(db, target.id, 2);
  await db.target.update({ where: { id: target.id }, data: { currentSnapshotId: v2.id } });
  await db.verdictRecord.create({
    data: {
      targetId: target.id,
      evaluatedAt: new Date(now - 20_000),
      status: "BREACH",
      severity: "EMERGENCY",
      consecutiveCount: 3,
      details: breach("EMERGENCY"),
    },
  });
  const rollback = await db.rollback.create({
    data: {
      targetId: target.id,
      activeTargetId: target.id,
      trigger: "SLO",
      status: "IN_PROGRESS",
      fromSnapshotId: v2.id,
      toSnapshotId: v1.id,
      steps: [30, 100],
      currentStep: 0,
      trafficPercent: 30,
      approvalsRequired: 1,
      requestedAt: new Date(now - 60_000),
    },
  });
  await recordMetrics(
    db,
    // Whole minutes, as the sparklines' points are.
    {
      targetId: target.id,
      events: traffic(bucketStart(now - 600_000, 60_000), 300, { errorEvery: 5, latencyMs: 1_000 }),
    },
    { bucketWidthMs: BUCKET_MS, now: new Date(now) },
  );
  return { target, rollback };
}

async function renderOverview(role: RoleName) {
  const user = await makeUser(db, role);
  const rendered = renderAs({ db, userId: user.id }, <Overview role={role} />);
  await screen.findByRole("heading", { name: "Targets, worst first" });
  return { user, ...rendered };
}

describe("Overview", () => {
  it("shows a card per target linking to its page, with its verdict, snapshot, rollback progress and sparklines", async () => {
    const { target, rollback } = await troubledTarget();
    await renderOverview("VIEWER");

    const card = screen.getByRole("article", { name: target.name });
    expect(within(card).getByRole("link", { name: target.name })).toHaveProperty(
      "href",
      expect.stringMatching(new RegExp(`/targets/${target.slug}$`)),
    );
    expect(within(card).getByText("Emergency")).toBeInTheDocument();
    expect(within(card).getByText(breach("EMERGENCY").explanation)).toBeInTheDocument();
    expect(card.textContent).toContain("Snapshot: v2");
    expect(within(card).getByRole("link", { name: `Rollback to v1 of ${target.name}` })).toHaveProperty(
      "href",
      expect.stringMatching(new RegExp(`/rollbacks/${rollback.id}$`)),
    );
    const progress = within(card).getByRole("progressbar", { name: /30% of traffic on v1/ });
    expect(progress.getAttribute("aria-valuenow")).toBe("30");
    expect(card.textContent).toContain("Step 1 of 2");
    // Every 5th request failed: the latest minute with traffic, about 5 minutes ago, had a 20% error rate.
    expect(
      within(card).getByRole("img", { name: /^Error rate, last hour: latest 20% \([56] min ago\)$/ }),
    ).toBeInTheDocument();
    expect(
      within(card).getByRole("img", { name: /^P95 latency, last hour: latest \d[\d,.]* m?s \([56] min ago\)$/ }),
    ).toBeInTheDocument();

    // Viewers get no emergency stop, and are told why.
    expect(screen.queryByRole("button", { name: "Emergency stop" })).toBeNull();
    expect(screen.getByText("The emergency stop needs the approver role.")).toBeInTheDocument();
  });

  it("lets an approver stop everything after typing STOP and a reason, then lift it", async () => {
    await troubledTarget();
    const key = `overview.ui.${randomBytes(4).toString("hex")}`;
    await db.featureFlag.create({ data: { key, enabled: true, killSwitch: true } });
    const { user, calls } = await renderOverview("APPROVER");
    const ui = userEvent.setup();

    await ui.click(screen.getByRole("button", { name: "Emergency stop" }));
    const dialog = screen.getByRole("dialog", { name: "Activate the emergency stop?" });
    const confirm = within(dialog).getByRole("button", { name: "Activate emergency stop" });
    await ui.type(within(dialog).getByLabelText("Reason"), "Provider returns garbage");
    expect(confirm).toHaveProperty("disabled", true);
    await ui.type(within(dialog).getByLabelText(/Type STOP to confirm/), "STOP");
    expect(calls).not.toContain("system.emergencyStop");
    await ui.click(confirm);

    const banner = await screen.findByRole("alert");
    expect(within(banner).getByRole("heading", { name: "Emergency stop is active" })).toBeInTheDocument();
    expect(banner.textContent).toContain(`${user.name} (${user.email})`);
    expect(banner.textContent).toContain("“Provider returns garbage”");
    expect(await screen.findByText(/Emergency stop activated: \d+ kill switch(es)? turned off/)).toBeInTheDocument();
    expect(await db.featureFlag.findUnique({ where: { key }, select: { enabled: true } })).toEqual({ enabled: false });
    expect(screen.queryByRole("button", { name: "Emergency stop" })).toBeNull();

    await ui.click(within(banner).getByRole("button", { name: "Lift emergency stop" }));
    const lift = screen.getByRole("dialog", { name: "Lift the emergency stop?" });
    await ui.type(within(lift).getByLabelText("Reason"), "Provider fixed");
    await ui.click(within(lift).getByRole("button", { name: "Lift emergency stop" }));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
    expect(await screen.findByRole("button", { name: "Emergency stop" })).toBeInTheDocument();
    // The dialog closes once its confirm handler has finished: ending the test earlier would leave it updating
    // state after the environment is gone.
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("shows a maintenance pause, which operators resume and viewers cannot", async () => {
    await troubledTarget();
    const operator = await makeUser(db, "OPERATOR");
    await db.systemState.upsert({
      where: { id: "global" },
      create: { id: "global" },
      update: {},
    });
    await db.systemState.update({
      where: { id: "global" },
      data: {
        monitoringPaused: true,
        pauseReason: "Provider migration",
        pausedById: operator.id,
        pausedAt: new Date(),
      },
    });

    const viewer = await renderOverview("VIEWER");
    const status = screen.getByRole("heading", { name: "Monitoring is paused" }).closest("[role=status]");
    expect(status?.textContent).toContain("“Provider migration”");
    expect(screen.getByText("Resuming needs the operator role.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Resume monitoring" })).toBeNull();
    viewer.unmount();

    await renderOverview("OPERATOR");
    const ui = userEvent.setup();
    await ui.click(screen.getByRole("button", { name: "Resume monitoring" }));
    const dialog = screen.getByRole("dialog", { name: "Resume monitoring?" });
    await ui.type(within(dialog).getByLabelText("Reason"), "Migration done");
    await ui.click(within(dialog).getByRole("button", { name: "Resume monitoring" }));
    await waitFor(() => expect(screen.queryByRole("heading", { name: "Monitoring is paused" })).toBeNull());
    expect(await screen.findByText("Monitoring resumed")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });
});
