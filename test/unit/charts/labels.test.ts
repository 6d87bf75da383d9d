import { describe, expect, it } from "vitest";
import { labelWidth, placeLimitLabels, placeMarkerLabels } from "@/components/charts/labels";

const range = { from: 0, to: 1_000 };
const plot = (width: number) => ({ left: 64, right: width - 12, width });
const marker = (at: number, label: string) => ({ at: new Date(at), label });
/** Where a marker's line is drawn in a chart of `width`. */
const lineX = (at: number, width: number) => 64 + (at / 1_000) * (width - 12 - 64);

describe("placeMarkerLabels", () => {
  it("centres each label over its line, in the first lane it fits, most important first", () => {
    const requested = marker(500, "Requested");
    const step = marker(510, "Step 50%");
    const placed = placeMarkerLabels([requested, step], range, plot(600));
    const first = placed.get(requested);
    expect(first?.lane).toBe(0);
    expect(first!.left + first!.width / 2).toBeCloseTo(lineX(500, 600));
    // Too close for the same lane: the next one up.
    expect(placed.get(step)?.lane).toBe(1);
  });

  it("never overlaps two labels of a lane nor leaves the drawing, and every label covers its own line", () => {
    const markers = Array.from({ length: 12 }, (_, index) =>
      marker(index * 90, `Emergency ${index} · Requested · Step 100% · Completed`),
    );
    for (const width of [400, 600, 1_200]) {
      const placed = [...placeMarkerLabels(markers, range, plot(width))];
      expect(placed.length).toBeGreaterThan(0);
      for (const [each, place] of placed) {
        expect(place.left).toBeGreaterThanOrEqual(0);
        expect(place.left + place.width).toBeLessThanOrEqual(width);
        expect(place.left).toBeLessThanOrEqual(lineX(each.at.getTime(), width));
        expect(place.left + place.width).toBeGreaterThanOrEqual(lineX(each.at.getTime(), width));
        for (const [other, otherPlace] of placed) {
          if (other === each || otherPlace.lane !== place.lane) continue;
          const apart = place.left + place.width <= otherPlace.left || otherPlace.left + otherPlace.width <= place.left;
          expect(apart).toBe(true);
        }
      }
    }
  });

  it("slides a label at the plot's edge to the inside, and leaves out one wider than the drawing", () => {
    const last = marker(1_000, "Verified");
    const placed = placeMarkerLabels([last], range, plot(600)).get(last);
    expect(placed!.left + placed!.width).toBeLessThanOrEqual(600);
    const huge = marker(500, "x".repeat(200));
    expect(placeMarkerLabels([huge], range, plot(600)).size).toBe(0);
  });

  it("numbers a burst of moments too close for their labels, and labels in full those with room", () => {
    // Five moments 10 px apart, and one far from them.
    const markers = ["Requested", "Approved", "Step 50%", "Step 100%", "Completed", "Verified"].map((label, index) =>
      marker(index < 5 ? 500 + index * 20 : 900, label),
    );
    const placed = placeMarkerLabels(markers, range, plot(600), {
      compactLabel: (each) => String(markers.indexOf(each) + 1),
    });
    // Each gets a label, some only their number; the one with room its full label.
    expect(placed.size).toBe(6);
    expect(markers.slice(0, 5).some((each) => placed.get(each)?.compact)).toBe(true);
    expect(placed.get(markers[5]!)?.compact).toBe(false);
    for (const [each, place] of placed) {
      for (const [other, otherPlace] of placed) {
        if (other === each || otherPlace.lane !== place.lane) continue;
        expect(place.left + place.width <= otherPlace.left || otherPlace.left + otherPlace.width <= place.left).toBe(
          true,
        );
      }
    }
  });

  it("labels nothing without a measured width", () => {
    expect(placeMarkerLabels([marker(500, "Requested")], range, plot(0)).size).toBe(0);
    expect(labelWidth("Requested")).toBeGreaterThan(60);
  });
});

describe("placeLimitLabels", () => {
  const axis = { max: 0.2, plotHeight: 180 };

  it("puts a label above its line, or below it at the top of the plot, never outside", () => {
    expect(placeLimitLabels([0.05], axis)).toEqual(["above"]);
    // The emergency limit at the axis maximum: above would be clipped.
    expect(placeLimitLabels([0.2], axis)).toEqual(["below"]);
  });

  it("moves a second label to the other side of its line, or drops it, rather than overlap", () => {
    // Lines 9 px apart: the second label goes below its line.
    expect(placeLimitLabels([0.1, 0.09], axis)).toEqual(["above", "below"]);
    // Lines 4.5 px apart, near the top: no room either side for the second.
    expect(placeLimitLabels([0.195, 0.2], axis)).toEqual(["below", null]);
  });

  it("gives no label to a line out of view", () => {
    expect(placeLimitLabels([0.5, -1], axis)).toEqual([null, null]);
  });
});
