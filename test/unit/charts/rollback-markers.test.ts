import { describe, expect, it } from "vitest";
import {
  rollbackMarkers,
  timelineMarkers,
  timelineSentence,
  type MarkedRollback,
} from "@/components/charts/rollback-markers";

const T = Date.UTC(2027, 0, 1, 3);
const at = (seconds: number) => new Date(T + seconds * 1_000);

const emergency: MarkedRollback = {
  id: "r1",
  trigger: "EMERGENCY",
  status: "COMPLETED",
  requestedAt: at(0),
  events: [
    { at: at(0), kind: "REQUESTED" },
    { at: at(0), kind: "STEP", trafficPercent: 100 },
    { at: at(10), kind: "COMPLETED" },
    { at: at(600), kind: "VERIFIED", verification: "EFFECTIVE" },
  ],
};
const gradual: MarkedRollback = {
  id: "r2",
  trigger: "SLO",
  status: "IN_PROGRESS",
  requestedAt: at(1_000),
  events: [
    { at: at(1_000), kind: "REQUESTED" },
    { at: at(1_030), kind: "APPROVED" },
    { at: at(1_060), kind: "STEP", trafficPercent: 50 },
  ],
};

describe("timelineMarkers", () => {
  it("merges moments that coincide and puts the request, the outcome and then the steps first", () => {
    expect(timelineMarkers(emergency).map((marker) => [marker.label, marker.tone, marker.href])).toEqual([
      ["Requested · Step 100%", "neutral", "/rollbacks/r1"],
      ["Completed", "neutral", "/rollbacks/r1"],
      ["Verified", "good", "/rollbacks/r1"],
    ]);
    // An approval moves no traffic: it is in the words, not on the chart.
    expect(timelineMarkers(gradual).map((marker) => marker.label)).toEqual(["Requested", "Step 50%"]);
  });
});

describe("rollbackMarkers", () => {
  it("marks every moment of each rollback, the focused one first, or one per rollback on a wide chart", () => {
    const detailed = rollbackMarkers([emergency, gradual], { detailed: true, focus: "r2", summaryLabel: () => "" });
    expect(detailed.map((marker) => marker.label)).toEqual([
      "Requested",
      "Step 50%",
      "Requested · Step 100%",
      "Completed",
      "Verified",
    ]);
    const wide = rollbackMarkers([emergency, gradual], {
      detailed: false,
      summaryLabel: (rollback) => `${rollback.trigger} · ${rollback.status}`,
    });
    expect(wide).toEqual([
      { at: at(0), label: "EMERGENCY · COMPLETED", href: "/rollbacks/r1" },
      { at: at(1_000), label: "SLO · IN_PROGRESS", href: "/rollbacks/r2" },
    ]);
  });

  it("says the whole timeline in order of time", () => {
    const seconds = (date: Date) => String((date.getTime() - T) / 1_000);
    expect(timelineSentence(emergency, seconds)).toBe("Requested · Step 100% 0, Completed 10, Verified 600");
    expect(timelineSentence(gradual, seconds)).toBe("Requested 1000, Approved 1030, Step 50% 1060");
  });
});
