// The rollback pages' decisions against the real routers on the run's real database (./render): who sees which
// button and why, what each dialog sends, and the rollback page's state and timeline.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { RollbackActions } from "@/components/rollbacks/rollback-actions";
import { RollbackDetail } from "@/components/rollbacks/rollback-detail";
import type { RoleName } from "@/server/domain/roles";
import { userActor } from "@/server/services/audit/audit-log";
import { requestManualRollback, startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { getRollbackView } from "@/server/services/rollbacks/views";
import { BUCKET_MS, makeUser, testDb } from "../integration/helpers";
import {
  attributed,
  breachVerdict,
  lifecyclePolicy,
  lifecycleTarget,
  rollbackDecision,
  startedAutomaticRollback,
} from "../integration/lifecycle-fixtures";
import { renderAs as renderWith } from "./render";

const db = testDb();
/** Waits for the server's answer: generous, since the machine's other work can hold a request up. */
const answered = { timeout: 10_000 };

async function proposal(policy = lifecyclePolicy) {
  const fixture = await lifecycleTarget(db, policy, new Date());
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
  return { fixture, rollback: await getRollbackView(db, rollbackId) };
}

const viewerOf = async (role: RoleName) => {
  const user = await makeUser(db, role);
  return { user, viewer: { id: user.id, role } };
};

describe("RollbackActions", () => {
  it("shows a viewer or operator the reason instead of the buttons", async () => {
    const { rollback } = await proposal();
    for (const [role, article] of [
      ["VIEWER", "a"],
      ["OPERATOR", "an"],
    ] as const) {
      const { user, viewer } = await viewerOf(role);
      const { unmount } = renderAs(user.id, <RollbackActions rollback={rollback} viewer={viewer} />);
      expect(
        screen.getByText(`Approving needs the approver role; you are ${article} ${role.toLowerCase()}.`),
      ).toBeInTheDocument();
      expect(screen.queryByRole("button")).toBeNull();
      unmount();
    }
  });

  it("approves with a comment after asking; a rejection cannot be sent without one", async () => {
    const { rollback } = await proposal();
    const { user, viewer } = await viewerOf("APPROVER");
    const ui = userEvent.setup();
    const { calls } = renderAs(user.id, <RollbackActions rollback={rollback} viewer={viewer} />);

    await ui.click(screen.getByRole("button", { name: "Reject" }));
    let dialog = screen.getByRole("dialog", { name: `Reject the rollback of ${rollback.target.slug}?` });
    expect(within(dialog).getByRole("button", { name: "Reject" })).toHaveProperty("disabled", true);
    await ui.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls).not.toContain("rollbacks.reject");

    await ui.click(screen.getByRole("button", { name: "Approve" }));
    dialog = screen.getByRole("dialog", { name: `Approve the rollback of ${rollback.target.slug}?` });
    expect(dialog.textContent).toContain("Your approval is the one it needs");
    await ui.type(within(dialog).getByLabelText("Comment (optional)"), "Evidence is clear");
    await ui.click(within(dialog).getByRole("button", { name: "Approve" }));
    const toast = await screen.findByText(`Approved the rollback of ${rollback.target.slug}`, {}, answered);
    // The rollback leaves the queue with the decision: the toast leads to it.
    expect(within(toast).getByRole("link", { name: "Open the rollback" })).toHaveAttribute(
      "href",
      `/rollbacks/${rollback.id}`,
    );
    expect(await db.rollbackApproval.findMany({ where: { rollbackId: rollback.id } })).toMatchObject([
      { userId: user.id, decision: "APPROVE", comment: "Evidence is clear" },
    ]);
  });

  it("tells the requester of a two-approval rollback why they cannot approve; rejecting still works", async () => {
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired: 2 }, new Date());
    const { user, viewer } = await viewerOf("APPROVER");
    const requested = await requestManualRollback(
      db,
      { actor: userActor(user.id), targetId: fixture.target.id, toSnapshotId: fixture.good.id, reason: "bad prompt" },
      new Date(),
    );
    const rollback = await getRollbackView(db, requested.id);
    const ui = userEvent.setup();
    renderAs(user.id, <RollbackActions rollback={rollback} viewer={viewer} />);

    expect(
      screen.getByText("You requested this rollback and it needs 2 approvals: two other approvers must approve it."),
    ).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    await ui.click(screen.getByRole("button", { name: "Reject" }));
    const dialog = screen.getByRole("dialog");
    await ui.type(within(dialog).getByLabelText("Comment"), "Found the real cause upstream");
    await ui.click(within(dialog).getByRole("button", { name: "Reject" }));
    await waitFor(
      async () =>
        expect(await db.rollback.findUniqueOrThrow({ where: { id: rollback.id } })).toMatchObject({
          status: "REJECTED",
          endReason: "Found the real cause upstream",
        }),
      answered,
    );
  });
});

describe("RollbackDetail", () => {
  it("shows the step, the split, abort for approvers, and the timeline from the audit log", async () => {
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, mode: "AUTOMATIC" }, new Date());
    const { rollbackId } = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("AUTO_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(),
    );
    await advanceDueRollbacks(db, { now: new Date(), bucketWidthMs: BUCKET_MS });
    const { user, viewer } = await viewerOf("APPROVER");
    const ui = userEvent.setup();
    renderAs(user.id, <RollbackDetail rollbackId={rollbackId} viewer={viewer} />);

    expect(await screen.findByRole("heading", { name: "Step 1 of 3" }, answered)).toBeInTheDocument();
    expect(
      screen.getByRole("progressbar", { name: "Traffic on v1, the known-good snapshot" }).getAttribute("aria-valuenow"),
    ).toBe("25");
    expect(screen.getByText("75% of traffic on v2 (before) · 25% on v1 (known-good)")).toBeInTheDocument();
    const timeline = await screen.findByRole("list", { name: "Timeline" }, answered);
    await waitFor(
      () =>
        expect(
          within(timeline)
            .getAllByRole("listitem")
            .map((item) => item.querySelector("p span")?.textContent),
        ).toEqual(["Requested", "Started: traffic moved"]),
      answered,
    );

    await ui.click(screen.getByRole("button", { name: "Abort rollback" }));
    const dialog = screen.getByRole("dialog", { name: `Abort the rollback of ${fixture.target.slug}?` });
    await ui.type(within(dialog).getByLabelText("Reason"), "The known-good model was retired");
    await ui.click(within(dialog).getByRole("button", { name: "Abort rollback" }));
    expect(await screen.findByRole("heading", { name: "Aborted at step 1 of 3" }, answered)).toBeInTheDocument();
    expect(await db.rollback.findUniqueOrThrow({ where: { id: rollbackId } })).toMatchObject({
      status: "CANCELLED",
      aborted: true,
      trafficPercent: 0,
    });
    await waitFor(() => expect(within(timeline).getAllByRole("listitem")).toHaveLength(3), answered);
  });
});

describe("RollbackDetail at its last step", () => {
  it("says when the rollback completes, not when a next step is due: there is none after 100%", async () => {
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, mode: "AUTOMATIC" }, new Date());
    const { rollbackId } = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("AUTO_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(),
    );
    await advanceDueRollbacks(db, { now: new Date(), bucketWidthMs: BUCKET_MS });
    // As the cycle leaves it after the 50% step's interval: on the 100% step, its own interval running.
    await db.rollback.update({
      where: { id: rollbackId },
      data: { currentStep: 2, trafficPercent: 100, lastStepAt: new Date() },
    });
    const { user, viewer } = await viewerOf("VIEWER");
    renderAs(user.id, <RollbackDetail rollbackId={rollbackId} viewer={viewer} />);

    expect(await screen.findByRole("heading", { name: "Step 3 of 3" }, answered)).toBeInTheDocument();
    expect(screen.getByText(/^Completes/)).toHaveTextContent(/^Completes in (59 s|1 min)$/);
    expect(screen.queryByText(/Next step due/)).toBeNull();
  });
});

describe("StepChecks on the rollback page", () => {
  it("says why a step held, then shows the per-arm comparison, p-values and every check after an abort", async () => {
    // Far in the future, so that no other test's cycle (at the real clock) finds this rollback's step due.
    const T = Date.UTC(2031, 0, 1);
    const policy = { ...lifecyclePolicy, mode: "AUTOMATIC" as const, stepMinRequests: 100, configPickupSeconds: 0 };
    const fixture = await startedAutomaticRollback(db, policy, T);
    const { rollbackId } = fixture;
    const cycle = (at: number) => advanceDueRollbacks(db, { now: new Date(at), bucketWidthMs: BUCKET_MS });
    await attributed(db, fixture.target.id, 1, T, 40);
    await attributed(db, fixture.target.id, 2, T, 60, { perSecond: 5 });
    await cycle(T + 60_000);
    const { user, viewer } = await viewerOf("VIEWER");

    const held = renderAs(user.id, <RollbackDetail rollbackId={rollbackId} viewer={viewer} />);
    expect(
      await screen.findByText("Step 1 of 3 (25%) held: 40 of 100 requests on the known-good arm", {}, answered),
    ).toBeInTheDocument();
    let table = screen.getByRole("table", { name: "Latest check, step 1: each SLO on both arms" });
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((cell) => cell.textContent),
    ).toEqual(["SLO", "Known-good v1", "Current v2", "p-value", "Worse arm"]);
    expect(rowText(within(table).getByRole("rowheader", { name: "Requests" }))).toEqual([
      "Requests",
      "40",
      "300",
      "—",
      "",
    ]);
    held.unmount();

    // The known-good snapshot fails half its requests over the next minute: the gate stops the rollback.
    await attributed(db, fixture.target.id, 1, T + 60_000, 60, { perSecond: 3, errorEvery: 2 });
    await attributed(db, fixture.target.id, 2, T + 60_000, 60, { perSecond: 5 });
    await cycle(T + 120_000);
    renderAs(user.id, <RollbackDetail rollbackId={rollbackId} viewer={viewer} />);
    expect(
      await screen.findByText(
        "Step 1 of 3 (25%): the known-good snapshot is worse than the current one, so the rollback stopped and traffic went back",
        {},
        answered,
      ),
    ).toBeInTheDocument();
    table = screen.getByRole("table", { name: "Latest check, step 1: each SLO on both arms" });
    const errors = rowText(within(table).getByRole("rowheader", { name: "Error rate" }));
    expect(errors.slice(0, 3)).toEqual(["Error rate", "40.9%", "0%"]);
    expect(Number(errors[3])).toBeLessThan(0.0125);
    expect(errors[4]).toBe("Known-good worse");
    const history = screen.getByRole("table", { name: "Every step check, newest first" });
    expect(
      within(history)
        .getAllByRole("row")
        .slice(1)
        .map((row) => within(row).getAllByRole("cell")[1]?.textContent),
    ).toEqual(["Aborted", "Held"]);
    expect(screen.getByRole("figure", { name: /Readings as a share of each SLO's limit/ })).toBeInTheDocument();
  });
});

/** A table row's cells as text, from its row header. */
function rowText(rowHeader: HTMLElement): string[] {
  return [...(rowHeader.closest("tr")?.children ?? [])].map((cell) => cell.textContent ?? "");
}

function renderAs(userId: string, ui: Parameters<typeof renderWith>[1]) {
  return renderWith({ db, userId }, ui);
}
