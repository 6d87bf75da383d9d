// The target page's client component against the real routers on the run's real database: what each role is
// offered, the manual rollback through its dialog, and the window selector in the URL.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { TargetDetail } from "@/components/target/target-detail";
import type { RoleName } from "@/server/domain/roles";
import { bucketStart } from "@/server/domain/metrics";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { BUCKET_MS, makeUser, testDb, traffic } from "../integration/helpers";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { breachVerdict, rollbackDecision, SECOND } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";
import { seededTarget } from "./target-fixtures";

const db = testDb();

/** Waits for the server's answer: generous, since the machine's other work can hold a request up. */
const answered = { timeout: 10_000 };

async function renderPage(
  role: RoleName,
  prepare?: (fixture: Awaited<ReturnType<typeof seededTarget>>) => Promise<unknown>,
) {
  const fixture = await seededTarget(db);
  await prepare?.(fixture);
  const user = await makeUser(db, role);
  const rendered = renderAs(
    { db, userId: user.id },
    <TargetDetail
      slug={fixture.target.slug}
      name={fixture.target.name}
      viewer={{ id: user.id, role }}
      initialWindow="1h"
    />,
  );
  await screen.findByRole("figure", { name: "Error rate" }, answered);
  return { ...fixture, user, calls: rendered.calls };
}

/** Rewind's proposal to roll the fixture back to its known-good v1, waiting for one approval. */
function propose(fixture: Awaited<ReturnType<typeof seededTarget>>) {
  return startRollbackFromDecision(
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
}

describe("TargetDetail", () => {
  it("says when the target is judged on pulled readings rather than on the charts", async () => {
    await renderPage("VIEWER", ({ target }) =>
      db.verdictRecord.create({
        data: {
          targetId: target.id,
          evaluatedAt: new Date(),
          status: "HEALTHY",
          consecutiveCount: 0,
          details: {
            status: "HEALTHY",
            observed: {
              windowSeconds: 300,
              requestCount: 600,
              errorRate: 0.01,
              p95Ms: null,
              costPerRequestUsd: null,
              ttftP95Ms: null,
              pulledFrom: "Prometheus",
            },
            explanation: "All SLOs met over the last 5 min (pulled from Prometheus)",
          },
        },
      }),
    );
    expect(
      await screen.findByText(/judged on readings pulled from Prometheus/, undefined, answered),
    ).toBeInTheDocument();
  });

  it("shows a viewer the charts, verdict, snapshots and policy, and why the actions are not offered", async () => {
    const { target } = await renderPage("VIEWER");

    const title = screen.getByRole("heading", { level: 1, name: target.name });
    expect(within(title.parentElement as HTMLElement).getByText("Breach")).toBeDefined();
    for (const name of ["Error rate", "P95 latency", "Cost per request"]) {
      expect(screen.getByRole("figure", { name })).toBeDefined();
    }
    // No request of this target streamed: no time-to-first-token chart.
    expect(screen.queryByRole("figure", { name: "P95 time to first token" })).toBeNull();
    expect(screen.getByRole("table", { name: /By provider and model, last 1 h/ })).toBeDefined();
    expect(await screen.findByText(/Propose a rollback to the known-good snapshot when the error rate/)).toBeDefined();
    expect(screen.getByRole("link", { name: "All snapshots of this target" }).getAttribute("href")).toBe(
      `/snapshots?target=${target.slug}`,
    );
    expect(screen.getByRole("switch", { name: "Monitoring" }).hasAttribute("disabled")).toBe(true);
    expect(screen.getByText("Switching monitoring needs the operator role")).toBeDefined();
    expect(screen.getByText("Requesting a rollback needs the operator role.")).toBeDefined();
    expect(screen.queryByRole("button", { name: "Request rollback…" })).toBeNull();
  });

  it("lets an operator request a rollback to the known-good snapshot, with a reason, through the dialog", async () => {
    const { target, good } = await renderPage("OPERATOR");
    const user = userEvent.setup();

    const select = await screen.findByRole("combobox", { name: "Snapshot to roll back to" });
    expect(
      within(select)
        .getAllByRole("option")
        .map((option) => option.textContent),
    ).toEqual(["v1 · known-good, rollback target"]);
    await user.click(screen.getByRole("button", { name: "Request rollback…" }));
    const dialog = await screen.findByRole("dialog", { name: "Roll back to v1?" });
    await user.type(within(dialog).getByLabelText("Reason"), "v2 is slow for everyone");
    await user.click(within(dialog).getByRole("button", { name: "Request rollback" }));

    await screen.findByRole("heading", { name: /Proposed manual rollback/ }, { timeout: 10_000 });
    const rollback = await db.rollback.findFirstOrThrow({
      where: { targetId: target.id },
      select: { id: true, status: true, toSnapshotId: true, reason: true },
    });
    expect(rollback).toMatchObject({
      status: "PENDING_APPROVAL",
      toSnapshotId: good.id,
      reason: "v2 is slow for everyone",
    });
    expect(screen.getAllByRole("link", { name: "Open the rollback" })[0]?.getAttribute("href")).toBe(
      `/rollbacks/${rollback.id}`,
    );
    // Operators may ask for a rollback, not decide on it: they are told so where the buttons would be.
    expect(
      await screen.findByText("Approving needs the approver role; you are an operator.", {}, answered),
    ).toBeDefined();
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    expect(screen.getByRole("button", { name: "Request rollback…" }).hasAttribute("disabled")).toBe(true);
  });

  it("puts Approve first for a proposal, as the approvals page does, and links the toast to the rollback", async () => {
    let rollbackId = "";
    const { target, calls } = await renderPage("APPROVER", async (fixture) => {
      rollbackId = (await propose(fixture)).rollbackId;
    });
    const ui = userEvent.setup();

    const card = screen.getByRole("region", { name: /Proposed rollback after an SLO breach/ });
    expect(card.textContent).toContain(
      "Awaiting approval: no traffic moves until it is approved, then in steps of 25/50/100%.",
    );
    await waitFor(() => expect(card.textContent).toMatch(/Expires in (9|10) min\./), answered);
    expect(within(card).getByText(/Needs 1 approval/)).toBeDefined();
    const buttons = within(card).getAllByRole("button");
    expect(buttons.map((button) => button.textContent)).toEqual(["Approve", "Reject", "Cancel rollback"]);
    // The one primary (filled) button is Approve; stopping is never the call to action.
    expect(buttons.filter((button) => button.className.includes("bg-indigo-600")).map((b) => b.textContent)).toEqual([
      "Approve",
    ]);
    expect(buttons.some((button) => button.className.includes("bg-red-600"))).toBe(false);
    // Nothing ended yet: the past list says where the active one is rather than "None yet".
    expect(screen.getByText("None has ended yet; the active one is at the top of the page.")).toBeDefined();

    await ui.click(within(card).getByRole("button", { name: "Approve" }));
    const dialog = screen.getByRole("dialog", { name: `Approve the rollback of ${target.slug}?` });
    await ui.type(within(dialog).getByLabelText("Comment (optional)"), "v2 is slow");
    await ui.click(within(dialog).getByRole("button", { name: "Approve" }));
    const toast = await screen.findByText(`Approved the rollback of ${target.slug}`, {}, answered);
    expect(within(toast).getByRole("link", { name: "Open the rollback" }).getAttribute("href")).toBe(
      `/rollbacks/${rollbackId}`,
    );
    expect(calls).toContain("rollbacks.approve");
    // The card stays, now saying what happens next, with Cancel as its only (secondary) action.
    await waitFor(
      () => expect(card.textContent).toContain("Approved: traffic starts moving to v1 at the next cycle."),
      answered,
    );
    await waitFor(() =>
      expect(
        within(card)
          .getAllByRole("button")
          .map((button) => button.textContent),
      ).toEqual(["Cancel rollback"]),
    );
    expect(await db.rollback.findUniqueOrThrow({ where: { id: rollbackId } })).toMatchObject({ status: "APPROVED" });
  });

  it("charts time to first token, next to the other SLOs, once the target's traffic carries it", async () => {
    const { target } = await renderPage("VIEWER");
    expect(screen.queryByRole("figure", { name: "P95 time to first token" })).toBeNull();

    // Streamed requests arrive; the next poll draws the fourth chart, and the breakdown gains its column.
    const now = Date.now();
    await recordMetrics(
      db,
      {
        targetId: target.id,
        events: traffic(bucketStart(now - 60 * SECOND, BUCKET_MS), 30, { provider: "openai", model: "gpt-test" }).map(
          (event) => ({ ...event, ttftMs: 80 }),
        ),
      },
      { bucketWidthMs: BUCKET_MS, now: new Date(now) },
    );
    const figure = await screen.findByRole("figure", { name: "P95 time to first token" }, { timeout: 10_000 });
    expect(document.getElementById(figure.getAttribute("aria-describedby") ?? "")?.textContent).toMatch(
      /^Latest \d+ ms at (?:\d{1,2} [A-Z][a-z]{2}, )?\d\d:\d\d/,
    );
    expect(
      within(screen.getByRole("table", { name: /By provider and model/ })).getByRole("columnheader", {
        name: "P95 time to first token",
      }),
    ).toBeDefined();
  });

  it("keeps the chosen window in the URL", async () => {
    await renderPage("VIEWER");
    await userEvent.click(screen.getByRole("radio", { name: "7 d" }));
    expect(new URL(window.location.href).searchParams.get("window")).toBe("7d");
    expect(screen.getByRole("radio", { name: "7 d" })).toHaveProperty("checked", true);
    await waitFor(() => expect(screen.getByText(/each point covers 20 min\b/)).toBeDefined());
    await userEvent.click(screen.getByRole("radio", { name: "30 d" }));
    expect(new URL(window.location.href).searchParams.get("window")).toBe("30d");
    await waitFor(() => expect(screen.getByText(/each point covers 50 min\b/)).toBeDefined());
  });
});
