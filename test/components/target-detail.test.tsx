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
import { SECOND } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";
import { seededTarget } from "./target-fixtures";

const db = testDb();

async function renderPage(role: RoleName) {
  const fixture = await seededTarget(db);
  const user = await makeUser(db, role);
  renderAs(
    { db, userId: user.id },
    <TargetDetail slug={fixture.target.slug} name={fixture.target.name} role={role} initialWindow="1h" />,
  );
  await screen.findByRole("figure", { name: "Error rate" }, { timeout: 10_000 });
  return fixture;
}

describe("TargetDetail", () => {
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

    await screen.findByRole("heading", { name: /Manual rollback/ }, { timeout: 10_000 });
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
    expect(screen.getByText("Cancelling a rollback needs the approver role.")).toBeDefined();
    expect(screen.getByRole("button", { name: "Request rollback…" }).hasAttribute("disabled")).toBe(true);
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
      /^Latest \d+ ms at \d\d:\d\d/,
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
    await waitFor(() => expect(screen.getByText(/each point covers 10 min 10 s/)).toBeDefined());
  });
});
