import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MetricChart, type ChartPoint } from "@/components/charts/metric-chart";
import { timeTicks } from "@/components/charts/time-axis";

const T = Date.UTC(2027, 0, 1, 12);
const MINUTE = 60_000;
const range = { from: new Date(T), to: new Date(T + 10 * MINUTE) };
const points: ChartPoint[] = Array.from({ length: 10 }, (_, i) => ({
  start: new Date(T + i * MINUTE),
  // Minutes 3 and 4 had no traffic: a gap, not a zero.
  errorRate: i === 3 || i === 4 ? null : i === 6 ? 0.08 : 0.01,
  p95Ms: null,
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** jsdom lays nothing out: every observed element reports this size, as a browser would for a 640 px card. */
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
      /^Latest 1% at (?:\d{1,2} [A-Z][a-z]{2}, )?\d\d:\d\d, highest 8% at (?:\d{1,2} [A-Z][a-z]{2}, )?\d\d:\d\d\. Limit 5%\. 1 period of violation or breach shaded\. 1 rollback event marked\.$/,
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

describe("MetricChart's labels", () => {
  const long = (minute: number, label: string) => ({ at: new Date(T + minute * MINUTE), label, href: "/rollbacks/r1" });

  it("puts long marker labels in lanes above the plot, none overlapping another or leaving the chart", () => {
    stubLayout(640, 220);
    const markers = [
      long(5, "Emergency rollback requested · Step 100% of traffic to v1"),
      long(5.2, "Completed: v1 is the current configuration again"),
      long(6, "Verified effective after the verification window"),
      long(9.9, "SLO breach rollback · Pending approval by two approvers"),
      long(0.1, "Manual · Rejected"),
    ];
    render(<MetricChart slo="ERROR_RATE" points={points} range={range} markers={markers} />);
    const row = screen.getByTestId("chart-marker-labels");
    const labels = [...row.children].map((element) => {
      const style = (element as HTMLElement).style;
      return {
        text: element.textContent ?? "",
        left: parseFloat(style.left),
        right: parseFloat(style.left) + parseFloat(style.width),
        lane: parseFloat(style.bottom),
      };
    });
    // Every marker is identified above the plot: by its label where that fits, else by its number in the key.
    expect(labels).toHaveLength(5);
    const numbered = labels.filter((label) => /^\d+$/.test(label.text));
    expect(numbered.length).toBeGreaterThan(0);
    expect(numbered.length).toBeLessThan(5);
    const key = screen.getByRole("figure", { name: "Error rate" }).querySelector("ol");
    for (const { text } of numbered) {
      const marker = [...markers].sort((a, b) => a.at.getTime() - b.at.getTime())[Number(text) - 1]!;
      expect(key?.textContent).toContain(marker.label);
    }
    for (const label of labels) {
      expect(label.left).toBeGreaterThanOrEqual(0);
      expect(label.right).toBeLessThanOrEqual(640);
      for (const other of labels) {
        if (other === label || other.lane !== label.lane) continue;
        expect(label.right <= other.left || other.right <= label.left).toBe(true);
      }
    }
    // Every marker, labelled or not, is in the data list.
    expect(descriptionOf(screen.getByRole("figure", { name: "Error rate" }))).toContain("5 rollback events marked.");
  });

  it("labels the limit and the emergency limit inside the plot, on a nice axis that holds both", () => {
    stubLayout(640, 220);
    const { container } = render(
      <MetricChart
        slo="ERROR_RATE"
        points={points}
        range={range}
        thresholds={[
          { value: 0.05, label: "Limit" },
          { value: 0.15, label: "Emergency", tone: "emergency" },
        ]}
      />,
    );
    const texts = [...container.querySelectorAll("svg text")].map((text) => text.textContent);
    expect(texts).toContain("Limit 5%");
    expect(texts).toContain("Emergency 15%");
    // 0–20% in 5% steps: the 15% line is inside, under a round maximum.
    for (const tick of ["0%", "5%", "10%", "15%", "20%"]) expect(texts).toContain(tick);
    expect(texts).not.toContain("25%");
  });
});
