import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { MetricChart, placeMarkerLabels, timeTicks, type ChartPoint } from "@/components/charts/metric-chart";

const T = Date.UTC(2027, 0, 1, 12);
const MINUTE = 60_000;
const range = { from: new Date(T), to: new Date(T + 10 * MINUTE) };
const points: ChartPoint[] = Array.from({ length: 10 }, (_, i) => ({
  start: new Date(T + i * MINUTE),
  // Minutes 3 and 4 had no traffic: a gap, not a zero.
  errorRate: i === 3 || i === 4 ? null : i === 6 ? 0.08 : 0.01,
  p95Ms: null,
}));

afterEach(cleanup);

function descriptionOf(element: HTMLElement): string {
  const id = element.getAttribute("aria-describedby") ?? "";
  return document.getElementById(id)?.textContent ?? "";
}

describe("MetricChart", () => {
  it("summarises the series for screen readers: latest, highest, thresholds, periods and rollbacks", () => {
    render(
      <MetricChart
        slo="ERROR_RATE"
        points={points}
        range={range}
        thresholds={[{ value: 0.05, label: "Limit" }]}
        periods={[{ from: new Date(T + 6 * MINUTE), to: new Date(T + 7 * MINUTE), level: "BREACH" }]}
        markers={[{ at: new Date(T + 7 * MINUTE), label: "Rollback · Completed", href: "/rollbacks/r1" }]}
      />,
    );
    const figure = screen.getByRole("figure", { name: "Error rate" });
    expect(descriptionOf(figure)).toMatch(
      /^Latest 1% at \d\d:\d\d, highest 8% at \d\d:\d\d\. Limit 5%\. 1 period of violation or breach shaded\. 1 rollback marked\.$/,
    );
  });

  it("says so when the window has no traffic", () => {
    render(<MetricChart slo="P95_LATENCY" points={points} range={range} />);
    expect(descriptionOf(screen.getByRole("figure", { name: "P95 latency" }))).toBe("No traffic in this window.");
  });

  it("opens a data table with every step, gaps as no traffic, and the rollbacks as links", async () => {
    render(
      <MetricChart
        slo="ERROR_RATE"
        points={points}
        range={range}
        markers={[
          { at: new Date(T + 7 * MINUTE), label: "Rollback · Completed", href: "/rollbacks/r1" },
          // Outside the range: neither drawn nor listed.
          { at: new Date(T - MINUTE), label: "Older rollback", href: "/rollbacks/r0" },
        ]}
      />,
    );
    expect(screen.queryByRole("table")).toBeNull();
    await userEvent.click(screen.getByText("Error rate: data table"));
    const rows = within(screen.getByRole("table", { name: "Error rate over time" })).getAllByRole("row");
    expect(rows).toHaveLength(11);
    expect(rows[4]?.textContent).toContain("no traffic");
    expect(rows[7]?.textContent).toContain("8%");
    expect(screen.getByRole("link", { name: "Rollback · Completed" }).getAttribute("href")).toBe("/rollbacks/r1");
    expect(screen.queryByRole("link", { name: "Older rollback" })).toBeNull();
  });
});

describe("timeTicks", () => {
  it("puts about six ticks on whole minutes, hours or days inside the range", () => {
    const hour = { from: T + 17_000, to: T + 60 * MINUTE + 17_000 };
    const ticks = timeTicks(hour);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const tick of ticks) {
      expect(tick % MINUTE).toBe(0);
      expect(tick).toBeGreaterThanOrEqual(hour.from);
      expect(tick).toBeLessThanOrEqual(hour.to);
    }
    const week = timeTicks({ from: T, to: T + 7 * 24 * 60 * MINUTE });
    expect(week.length).toBeLessThanOrEqual(6);
    expect((week[1] ?? 0) - (week[0] ?? 0)).toBeGreaterThanOrEqual(24 * 60 * MINUTE);
    expect(timeTicks({ from: T, to: T })).toEqual([]);
  });
});

describe("placeMarkerLabels", () => {
  const range = { from: 0, to: 1_000 };
  const marker = (at: number, label = "SLO · Completed") => ({ at: new Date(at), label });

  it("labels markers in the order given and skips those whose label would overlap one already placed", () => {
    const newest = marker(900, "Manual · Cancelled");
    const close = marker(850);
    const far = marker(100);
    const placed = placeMarkerLabels([newest, close, far], range, 600);
    // Near the right edge the label goes to the left of its line.
    expect(placed.get(newest)).toBe("end");
    expect(placed.has(close)).toBe(false);
    expect(placed.get(far)).toBe("start");
  });

  it("labels nothing without a measured width, and fewer markers in a narrow chart", () => {
    const markers = [marker(100), marker(500), marker(900)];
    expect(placeMarkerLabels(markers, range, 0).size).toBe(0);
    expect(placeMarkerLabels(markers, range, 1_200).size).toBe(3);
    expect(placeMarkerLabels(markers, range, 300).size).toBe(1);
  });
});
