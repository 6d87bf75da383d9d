"use client";
// Downloads the filtered log (every matching event, oldest first) as CSV or JSON, from audit.export. The JSON also
// carries every signed checkpoint of the chain, so a copy kept elsewhere can later show a chain cut back.
import { useQueryClient } from "@tanstack/react-query";
import type { AuditFilter } from "@/server/domain/audit";
import { useTRPC } from "../trpc";
import { Button } from "../ui";
import { useExportDownload } from "../use-export-download";

export function AuditExport({ filter, filtered }: { filter: AuditFilter; filtered: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { busy, exportAs } = useExportDownload("audit", (format) =>
    // Not kept in the cache: an export can be large and should always be fresh.
    queryClient.fetchQuery(trpc.audit.export.queryOptions({ filter, format }, { staleTime: 0, gcTime: 0 })),
  );

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
