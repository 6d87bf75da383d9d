// The overview page's live part against the real routers on the run's real database, through the in-process
// tRPC client of ./render. The database is shared with other tests, so each test finds its own targets.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Overview } from "@/components/overview/overview";
import type { Verdict } from "@/server/domain/evaluation";
import { bucketStart } from "@/server/domain/metrics";
import type { RoleName } from "@/server/domain/roles";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { BUCKET_MS, makeTarget, makeUser, testDb, traffic } from "../integration/helpers";
import {
  breach,
  breachVerdict,
  createSnapshot,
  lifecyclePolicy,
  lifecycleTarget,
  rollbackDecision,
} from "../integration/lifecycle-fixtures";
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

/** A target on v2 with a proposal to roll back to v1 waiting for approval, and no verdict recorded yet. */
async function proposedTarget() {
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
  return { ...fixture, rollbackId };
}

/** A figure of a card by its term ("P95 latency over 1 min", the window in a span of its own): its value. */
function figure(card: HTMLElement, term: string): HTMLElement {
  const dt = within(card).getByText((_, element) => element?.tagName === "DT" && element.textContent === term);
  return dt.nextElementSibling as HTMLElement;
}

const healthyVerdict: Verdict = {
  status: "HEALTHY",
  observed: {
    windowSeconds: 60,
    requestCount: 60,
    errorRate: 0.01,
    p95Ms: 800,
    costPerRequestUsd: 0.002,
    ttftP95Ms: null,
  },
  explanation: "All SLOs met",
};

/** Waits for the server's answer: generous, since the machine's other work can hold a request up. */
const answered = { timeout: 10_000 };

/**
 * The overview as `role` sees it, searching for `search` (the run's database holds every test's targets, more than
 * a page of them: a test finds its own by their slugs).
 */
async function renderOverview(role: RoleName, search = "") {
  const user = await makeUser(db, role);
  const rendered = renderAs(
    { db, userId: user.id },
    <Overview viewer={{ id: user.id, role }} initialView={{ search, group: null, page: 1 }} />,
  );
  await screen.findByRole("heading", { name: "Targets, worst first" });
  return { user, ...rendered };
}

describe("Overview", () => {
  it("shows a card per target linking to its page, with its verdict, snapshot, rollback progress and sparklines", async () => {
    const { target, rollback } = await troubledTarget();
    await renderOverview("VIEWER", target.slug);

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
    expect(card.textContent).toContain("Step 1 of 2 · 30% on v1, 70% still on v2");
    // Each figure of the verdict names its window, the one the explanation speaks of ("over the last 1 min").
    for (const title of ["Error rate", "P95 latency", "Cost per request"]) {
      expect(figure(card, `${title} over 1 min`)).toBeInTheDocument();
    }
    expect(card.textContent).toContain("Last hour, a point per 1 min");
    // Every 5th request failed: the latest minute with traffic, about 5 minutes ago, had a 20% error rate.
    expect(
      within(card).getByRole("img", { name: /^Error rate, last hour: latest 20% over 1 min \(as of [56] min ago\)$/ }),
    ).toBeInTheDocument();
    expect(
      within(card).getByRole("img", {
        name: /^P95 latency, last hour: latest \d[\d.]* m?s over 1 min \(as of [56] min ago\)$/,
      }),
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

  it("says a proposal awaits approval, and lets an approver approve it from the card, with a link in the toast", async () => {
    const { target, rollbackId } = await proposedTarget();
    const { calls } = await renderOverview("APPROVER", target.slug);
    const ui = userEvent.setup();

    const card = screen.getByRole("article", { name: target.name });
    expect(within(card).getByRole("link", { name: `Proposed rollback to v1 of ${target.name}` })).toHaveProperty(
      "href",
      expect.stringMatching(new RegExp(`/rollbacks/${rollbackId}$`)),
    );
    // A proposal moves no traffic: no bar, no "rolling back" for it in the summary.
    expect(within(card).queryByRole("progressbar")).toBeNull();
    expect(card.textContent).toContain("Awaiting approval: no traffic moves until it is approved");
    expect(screen.getByText(/targets?: .*\d+ awaiting approval/)).toBeInTheDocument();
    // The decision comes from the approvals queue's view: the deadline, then the buttons.
    expect(await within(card).findByText(/expires/, {}, answered)).toBeInTheDocument();
    expect(within(card).getByText(/\(0 of 1\)/)).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Cancel rollback" })).toBeNull();

    await ui.click(within(card).getByRole("button", { name: "Approve" }));
    const dialog = screen.getByRole("dialog", { name: `Approve the rollback of ${target.slug}?` });
    await ui.click(within(dialog).getByRole("button", { name: "Approve" }));
    const toast = await screen.findByText(`Approved the rollback of ${target.slug}`, {}, answered);
    expect(within(toast).getByRole("link", { name: "Open the rollback" })).toHaveProperty(
      "href",
      expect.stringMatching(new RegExp(`/rollbacks/${rollbackId}$`)),
    );
    expect(calls).toContain("rollbacks.approve");
    expect(await db.rollback.findUniqueOrThrow({ where: { id: rollbackId } })).toMatchObject({ status: "APPROVED" });
    // The card follows at once (the overview is refreshed with the decision), and says what happens next, under
    // the rollbacks under way now.
    await waitFor(() => {
      const moved = within(screen.getByRole("region", { name: /^Rolling back/ })).getByRole("article", {
        name: target.name,
      });
      expect(moved.textContent).toContain("Approved: traffic starts moving at the next cycle");
    }, answered);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("shows a viewer the proposal and who may decide, without the buttons", async () => {
    const { target } = await proposedTarget();
    await renderOverview("VIEWER", target.slug);
    const card = screen.getByRole("article", { name: target.name });
    expect(
      await within(card).findByText("Approving needs the approver role; you are a viewer.", {}, answered),
    ).toBeInTheDocument();
    expect(within(card).queryByRole("button")).toBeNull();
  });

  it("mutes figures no cycle has renewed, with their age, and never shows 0% for a window without traffic", async () => {
    const now = Date.now();
    const tag = `mute${randomBytes(4).toString("hex")}`;
    const tagged = (kind: string) => db.target.create({ data: { slug: `${tag}-${kind}`, name: `${kind} ${tag}` } });
    const stale = await tagged("stale");
    await db.verdictRecord.create({
      data: {
        targetId: stale.id,
        evaluatedAt: new Date(now - 10 * 60_000),
        status: "BREACH",
        severity: "CRITICAL",
        consecutiveCount: 3,
        details: breachVerdict,
      },
    });
    const quiet = await tagged("quiet");
    await db.verdictRecord.create({
      data: {
        targetId: quiet.id,
        evaluatedAt: new Date(now - 10_000),
        status: "INSUFFICIENT_DATA",
        consecutiveCount: 0,
        details: {
          status: "INSUFFICIENT_DATA",
          observed: {
            windowSeconds: 300,
            requestCount: 0,
            errorRate: null,
            p95Ms: null,
            costPerRequestUsd: null,
            ttftP95Ms: null,
          },
          explanation: "Only 0 requests over the last 5 min; at least 10 are needed for a verdict",
        },
      },
    });
    await renderOverview("VIEWER", tag);

    const staleCard = screen.getByRole("article", { name: stale.name });
    expect(staleCard.textContent).toContain("Figures as of 10 min ago: no newer verdict");
    const p95 = figure(staleCard, "P95 latency over 1 min");
    expect(p95?.textContent).toBe("2.95 s");
    expect(p95?.className).not.toContain("font-medium");

    const quietCard = screen.getByRole("article", { name: quiet.name });
    expect(within(quietCard).getByText("Not enough data")).toBeInTheDocument();
    const errorRate = figure(quietCard, "Error rate over 5 min");
    expect(errorRate?.textContent).toBe("—");
    expect(quietCard.textContent).not.toContain("0%");
  });

  it("groups the cards under counted headings, searches by slug or name, filters by group and pages, all in the address", async () => {
    const now = Date.now();
    const tag = `page${randomBytes(4).toString("hex")}`;
    await db.target.createMany({
      data: [
        ...Array.from({ length: 53 }, (_, i) => ({
          slug: `${tag}-fine-${String(i).padStart(2, "0")}`,
          name: `Fine ${i} ${tag}`,
        })),
        { slug: `${tag}-hot`, name: `Hot ${tag}` },
        { slug: `${tag}-silent`, name: `Silent ${tag}` },
      ],
    });
    const targets = await db.target.findMany({
      where: { slug: { startsWith: tag } },
      select: { id: true, slug: true },
    });
    await db.verdictRecord.createMany({
      data: targets.flatMap((target) =>
        target.slug.endsWith("-silent")
          ? []
          : [
              {
                targetId: target.id,
                evaluatedAt: new Date(now - 20_000),
                status: target.slug.endsWith("-hot") ? ("BREACH" as const) : ("HEALTHY" as const),
                severity: target.slug.endsWith("-hot") ? ("CRITICAL" as const) : null,
                consecutiveCount: 3,
                details: target.slug.endsWith("-hot") ? breach("CRITICAL") : healthyVerdict,
              },
            ],
      ),
    });
    window.history.replaceState(null, "", "/");
    await renderOverview("VIEWER", tag);
    const ui = userEvent.setup();

    // Most urgent first, each heading counting its whole group; the page holds 50 of the 55.
    const headings = () =>
      screen.getAllByRole("heading", { level: 3 }).map((heading) => heading.textContent?.replace(/\s+/g, " "));
    expect(headings()).toEqual(["Breaching or violating (1)", "No data (1)", "Healthy (53)"]);
    const pages = screen.getByRole("navigation", { name: "Pages of targets" });
    expect(pages.textContent).toContain("Showing 1–50 of 55 targets · page 1 of 2");
    expect(screen.getAllByRole("article")).toHaveLength(50);
    const healthy = screen.getByRole("region", { name: "Healthy (53)" });
    expect(within(healthy).getAllByRole("article")).toHaveLength(48);
    expect(window.location.search).toBe(`?q=${tag}`);

    await ui.click(within(pages).getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(pages.textContent).toContain("Showing 51–55 of 55 targets · page 2 of 2"), answered);
    expect(headings()).toEqual(["Healthy (53)"]);
    expect(screen.getByRole("article", { name: `Fine 52 ${tag}` })).toBeInTheDocument();
    expect(window.location.search).toBe(`?q=${tag}&page=2`);
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Targets, worst first" }));
    expect(within(pages).getByRole("button", { name: "Next page" })).toBeDisabled();

    // One group: the choice is pressed, and the page starts again.
    const show = screen.getByRole("group", { name: "Show" });
    await ui.click(within(show).getByRole("button", { name: "No data (1)" }));
    await waitFor(() => expect(headings()).toEqual(["No data (1)"]), answered);
    expect(within(show).getByRole("button", { name: "No data (1)" })).toHaveAttribute("aria-pressed", "true");
    expect(within(show).getByRole("button", { name: "All (55)" })).toHaveAttribute("aria-pressed", "false");
    expect(window.location.search).toBe(`?q=${tag}&group=no-data`);
    await ui.click(within(show).getByRole("button", { name: "All (55)" }));

    // The search box narrows by slug or name, ignoring case.
    const search = screen.getByRole("searchbox", { name: "Search targets" });
    expect(search).toHaveValue(tag);
    await ui.clear(search);
    await ui.type(search, `HOT ${tag}`);
    await waitFor(() => expect(screen.getAllByRole("article")).toHaveLength(1), answered);
    expect(screen.getByRole("article", { name: `Hot ${tag}` })).toBeInTheDocument();
    expect(headings()).toEqual(["Breaching or violating (1)"]);
    expect(window.location.search).toBe(`?q=HOT+${tag}`);

    await ui.type(search, "-nothing");
    expect(
      await screen.findByText(`No target's slug or name holds “HOT ${tag}-nothing”.`, {}, answered),
    ).toBeInTheDocument();
    await ui.click(screen.getByRole("button", { name: "Show every target" }));
    await waitFor(() => expect(search).toHaveValue(""));
    expect(window.location.search).toBe("");
    window.history.replaceState(null, "", "/");
  });
});
