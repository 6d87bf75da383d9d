// The console's exports (audit log, rollback history) are files the server streams (app/api/export/*): plain
// links, so the browser downloads them as they arrive, with its own progress, and the page holds no copy.
import type { ExportFormat } from "@/server/domain/export-stream";
import { exportFormats } from "@/server/domain/export-stream";
import { buttonClass } from "./ui";

export type ExportFilter = Record<string, string | Date | undefined>;

/** The route's address for a filter: its fields as query parameters, times in ISO 8601, empty ones left out. */
export function exportHref(what: "audit" | "rollbacks", format: ExportFormat, filter: ExportFilter): string {
  const params = new URLSearchParams({ format });
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined || value === "") continue;
    params.set(name, value instanceof Date ? value.toISOString() : value);
  }
  return `/api/export/${what}?${params.toString()}`;
}

/** "Export CSV" and "Export JSON", styled as buttons; the server names the file (Content-Disposition). */
export function ExportLinks({ what, filter }: { what: "audit" | "rollbacks"; filter: ExportFilter }) {
  return exportFormats.map((format) => (
    <a key={format} href={exportHref(what, format, filter)} className={buttonClass("secondary")}>
      Export {format.toUpperCase()}
    </a>
  ));
}
