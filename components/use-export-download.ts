"use client";
// Exports (audit log, rollback history) fetch the whole filtered list as text and hand it to the browser as
// a file: one hook so both name, download and report the same way.
import { useState } from "react";
import { useToast } from "./toast";

export type ExportFormat = "csv" | "json";

const mimeTypes: Record<ExportFormat, string> = { csv: "text/csv;charset=utf-8", json: "application/json" };

/** "rewind-audit-20270501-143005.csv", in local time like the pages. */
export function exportFileName(what: string, format: ExportFormat, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `rewind-${what}-${stamp}.${format}`;
}

function saveFile(content: string, format: ExportFormat, name: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mimeTypes[format] }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the click has handed the file to the browser's download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `fetchContent` should bypass the query cache: an export can be large and must be fresh. */
export function useExportDownload(what: string, fetchContent: (format: ExportFormat) => Promise<string>) {
  const toast = useToast();
  const [busy, setBusy] = useState<ExportFormat | null>(null);

  async function exportAs(format: ExportFormat): Promise<void> {
    setBusy(format);
    try {
      const name = exportFileName(what, format, new Date());
      saveFile(await fetchContent(format), format, name);
      toast(`Downloaded ${name}`);
    } catch (error) {
      toast(`Export failed: ${(error as Error).message}`, "error");
    } finally {
      setBusy(null);
    }
  }

  return { busy, exportAs };
}
