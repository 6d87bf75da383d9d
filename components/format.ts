// Number and time formatting shared by every page, so the same figure reads the same everywhere.

export function formatPercent(share: number | null | undefined, digits = 2): string {
  if (share == null || Number.isNaN(share)) return "—";
  return `${(share * 100).toFixed(digits)}%`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms == null || Number.isNaN(ms)) return "—";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatUsd(usd: number | null | undefined): string {
  if (usd == null || Number.isNaN(usd)) return "—";
  return usd < 0.01 ? `$${usd.toFixed(5)}` : `$${usd.toFixed(4)}`;
}

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
