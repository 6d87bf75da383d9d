// The target page zoomed on an incident: the fixed range from the URL, "Incident" among the windows, the
// rollback's timeline in words and on the charts, and the URL following the choice.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TargetDetail } from "@/components/target/target-detail";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { getIncident } from "@/server/services/rollbacks/timeline";
import { makeUser, testDb } from "../integration/helpers";
import { breachVerdict, rollbackDecision } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";
import { seededTarget } from "./target-fixtures";

const db = testDb();
const answered = { timeout: 10_000 };

afterEach(() => vi.unstubAllGlobals());

/** jsdom lays nothing out: report a 640 px wide card, so the charts place their labels. */
function stubLayout(width: number, height: number) {
  vi.stubGlobal(
    "ResizeObserver",
    class {
      constructor(private readonly callback: ResizeObserverCallback) {}
      observe(element: Element) {
        const contentRect = { width, height, top: 0, left: 0, right: width, bottom: height, x: 0, y: 0 };
        this.callback([{ target: element, contentRect } as unknown as ResizeObserverEntry], this);
      }
      unobserve() {}
      disconnect() {}
    },
  );
}

describe("TargetDetail zoomed on an incident", () => {
  it("shows the incident's range with its timeline, and keeps the choice of window or incident in the URL", async () => {
    stubLayout(640, 220);
    const fixture = await seededTarget(db);
    const requestedAt = new Date(Date.now() - 5 * 60_000);
    await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("EMERGENCY_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      requestedAt,
    );
    const incident = await getIncident(db, { targetId: fixture.target.id }, new Date());
    expect(incident).not.toBeNull();
    const user = await makeUser(db, "VIEWER");
    renderAs(
      { db, userId: user.id },
      <TargetDetail
        slug={fixture.target.slug}
        name={fixture.target.name}
        viewer={{ id: user.id, role: "VIEWER" }}
        initialWindow="1h"
        initialRange={{ from: incident!.from, to: incident!.to }}
        incident={incident}
      />,
    );

    const zoom = await screen.findByRole("radio", { name: /^Incident: the emergency rollback requested/ }, answered);
    expect(zoom).toHaveProperty("checked", true);
    const note = screen.getByRole("note");
    expect(note.textContent).toMatch(
      /^Zoomed on the emergency rollback \(in progress\), (?:\d{1,2} [A-Z][a-z]{2}, )?\d\d:\d\d–now: Requested · Step 100% (?:\d{1,2} [A-Z][a-z]{2}, )?\d\d:\d\d\./,
    );
    // The request moved all traffic at once: one marker, labelled over its line on every chart.
    const errorRate = await screen.findByRole("figure", { name: "Error rate" }, answered);
    await waitFor(() => expect(within(errorRate).getByText("Requested · Step 100%")).toBeDefined(), answered);

    await userEvent.click(screen.getByRole("radio", { name: "1 h" }));
    let query = new URL(window.location.href).searchParams;
    expect([query.get("window"), query.get("from")]).toEqual(["1h", null]);
    expect(screen.queryByRole("note")).toBeNull();

    await userEvent.click(zoom);
    query = new URL(window.location.href).searchParams;
    expect([query.get("window"), query.get("from"), query.get("to")]).toEqual([
      null,
      incident!.from.toISOString().replace(":00.000Z", "Z"),
      null,
    ]);
    expect(screen.getByRole("note")).toBeDefined();
  });
});
