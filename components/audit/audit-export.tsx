"use client";
// Downloads the filtered log (every matching event, oldest first) as CSV or JSON, from audit.export.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { AuditFilter } from "@/server/domain/audit";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button } from "../ui";

const mimeTypes = { csv: "text/csv;charset=utf-8", json: "application/json" } as const;

/** "rewind-audit-20270501-143005.csv", in local time like the page. */
export function exportFileName(format: "csv" | "json", now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `rewind-audit-${stamp}.${format}`;
}

function download(content: string, format: "csv" | "json", name: string) {
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

export function AuditExport({ filter, filtered }: { filter: AuditFilter; filtered: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [busy, setBusy] = useState<"csv" | "json" | null>(null);

  async function exportAs(format: "csv" | "json") {
    setBusy(format);
    try {
      // Not kept in the cache: an export can be large and should always be fresh.
      const content = await queryClient.fetchQuery(
        trpc.audit.export.queryOptions({ filter, format }, { staleTime: 0, gcTime: 0 }),
      );
      const name = exportFileName(format, new Date());
      download(content, format, name);
      toast(`Downloaded ${name}`);
    } catch (error) {
      toast(`Export failed: ${(error as Error).message}`, "error");
    } finally {
      setBusy(null);
    }
  }

  return (
    <div role="group" aria-labelledby="audit-export-label" className="flex flex-wrap items-center gap-2">
      <span id="audit-export-label" className="text-sm text-slate-700">
        {filtered ? "Download the events matching these filters:" : "Download the whole log:"}
      </span>
      <Button tone="secondary" disabled={busy !== null} onClick={() => void exportAs("csv")}>
        {busy === "csv" ? "Exporting…" : "Export CSV"}
      </Button>
      <Button tone="secondary" disabled={busy !== null} onClick={() => void exportAs("json")}>
        {busy === "json" ? "Exporting…" : "Export JSON"}
      </Button>
    </div>
  );
}
