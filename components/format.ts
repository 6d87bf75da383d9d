// Formatting shared by every page that is not an SLO figure: dates, relative times and checksums. SLO values
// (ratios, milliseconds, dollars) go through the catalogue's one formatter per unit (server/domain/slo.ts).

export function formatDateTime(date: Date | string | null | undefined): string {
  if (date == null) return "—";
  return new Date(date).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

/** "3 min ago", "in 20 s": for times close to now, with the exact time in a title attribute. */
export function formatRelative(date: Date | string | null | undefined, now: Date = new Date()): string {
  if (date == null) return "—";
  const seconds = Math.round((new Date(date).getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return "just now";
  const [value, unit] =
    abs < 60
      ? [abs, "s"]
      : abs < 3600
        ? [Math.round(abs / 60), "min"]
        : abs < 86_400
          ? [Math.round(abs / 3600), "h"]
          : [Math.round(abs / 86_400), "d"];
  return seconds < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/** formatRelative for past events: one ahead of this browser's clock (server clock skew) never reads "in 8 s". */
export function formatAgo(date: Date | string | null | undefined): string {
  if (date == null) return "—";
  return formatRelative(date, new Date(Math.max(Date.now(), new Date(date).getTime())));
}

export function shortChecksum(checksum: string): string {
  return checksum.slice(0, 12);
}
