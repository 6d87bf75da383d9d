// Where a chart's labels go so none overlaps another or leaves the drawing: event markers' labels in lanes above
// the plot, each over its line; limit lines' labels inside the plot at its right edge, above or below their line.

/** Roughly the width of one character of an 11 px semibold label, rounded up so estimates err on the wide side. */
export const LABEL_CHAR_PX = 7;
const LABEL_PADDING_PX = 8;
/** Space kept between two labels of a lane. */
const LABEL_GAP_PX = 6;
/** The height of a lane of marker labels, and of a limit's label. */
export const LABEL_LINE_PX = 16;

export const labelWidth = (text: string) => text.length * LABEL_CHAR_PX + LABEL_PADDING_PX;

export interface MarkerPlacement {
  /** The label's left edge, in px from the chart's left. */
  left: number;
  width: number;
  /** 0 is the lane next to the plot. */
  lane: number;
  /** The marker's short label (`compactLabel`, e.g. its number in a key below the chart) in place of its label. */
  compact: boolean;
}

export interface PlotSpan {
  /** The plot's left and right edges in px from the chart's left (the time axis runs between them). */
  left: number;
  right: number;
  /** The whole drawing's width: labels may reach over the axis gutter but never past the drawing. */
  width: number;
}

/**
 * Places marker labels in the order given (most important first): each centred on its line, else starting or
 * ending at it, in the first lane where it overlaps nothing placed. With a `compactLabel` (a number the chart's key
 * explains), every marker first gets that short label, so a burst of moments stays identifiable; then each, most
 * important first, is given its full label wherever that fits beside the others. A marker with no label keeps its
 * line; the chart's data list names it.
 */
export function placeMarkerLabels<Marker extends { at: Date; label: string }>(
  markers: readonly Marker[],
  range: { from: number; to: number },
  plot: PlotSpan,
  { lanes = 2, compactLabel }: { lanes?: number; compactLabel?: (marker: Marker) => string } = {},
): Map<Marker, MarkerPlacement> {
  const placed = new Map<Marker, MarkerPlacement>();
  if (plot.right <= plot.left || range.to <= range.from) return placed;
  const xOf = (marker: Marker) =>
    plot.left + ((marker.at.getTime() - range.from) / (range.to - range.from)) * (plot.right - plot.left);
  const free = (lane: number, left: number, width: number, except?: Marker) =>
    [...placed].every(
      ([other, place]) =>
        other === except ||
        place.lane !== lane ||
        // A hair of tolerance: a label placed snug against another is free of it.
        left >= place.left + place.width + LABEL_GAP_PX - 0.01 ||
        left + width + LABEL_GAP_PX - 0.01 <= place.left,
    );
  /** Where the text fits for this marker, or null. */
  const spot = (marker: Marker, text: string, compact: boolean): MarkerPlacement | null => {
    const x = xOf(marker);
    const width = labelWidth(text);
    if (width > plot.width) return null;
    for (let lane = 0; lane < lanes; lane += 1) {
      // Centred, starting or ending at the line, else snug against a neighbour's label.
      const beside = [...placed].flatMap(([other, place]) =>
        other === marker || place.lane !== lane
          ? []
          : [place.left + place.width + LABEL_GAP_PX, place.left - LABEL_GAP_PX - width],
      );
      const left = [x - width / 2, x - 2, x - width + 2, ...beside]
        .map((candidate) => Math.min(Math.max(0, candidate), plot.width - width))
        // A label pushed off its line by the edge would name another moment.
        .filter((candidate) => candidate <= x && candidate + width >= x)
        .find((candidate) => free(lane, candidate, width, marker));
      if (left !== undefined) return { left, width, lane, compact };
    }
    return null;
  };
  if (compactLabel) {
    for (const marker of markers) {
      const place = spot(marker, compactLabel(marker), true);
      if (place) placed.set(marker, place);
    }
  }
  for (const marker of markers) {
    const place = spot(marker, marker.label, false);
    if (place) placed.set(marker, place);
  }
  return placed;
}

export type LimitLabelSide = "above" | "below";

/**
 * Where each horizontal line's label goes, in the order given (the limit before the emergency limit): above its
 * line, else below it, wherever it stays inside the plot and clear of labels placed before; null when neither fits or
 * the line is out of view. All labels end at the plot's right edge, so any vertical overlap would be a collision.
 */
export function placeLimitLabels(
  values: readonly number[],
  axis: { max: number; plotHeight: number },
): (LimitLabelSide | null)[] {
  const taken: [number, number][] = [];
  return values.map((value) => {
    if (!(axis.max > 0) || value < 0 || value > axis.max) return null;
    const y = axis.plotHeight * (1 - value / axis.max);
    const sides: [LimitLabelSide, [number, number]][] = [
      ["above", [y - LABEL_LINE_PX, y]],
      ["below", [y, y + LABEL_LINE_PX]],
    ];
    for (const [side, span] of sides) {
      if (span[0] < 0 || span[1] > axis.plotHeight) continue;
      if (taken.some(([a, b]) => span[0] < b && a < span[1])) continue;
      taken.push(span);
      return side;
    }
    return null;
  });
}
