"use client";
// Downloads the filtered log (every matching event, oldest first) as CSV or JSON, streamed by GET /api/export/audit.
// The JSON also carries every signed checkpoint of the chain, so a copy kept elsewhere can later show a chain cut back.
import type { AuditFilter } from "@/server/domain/audit";
import { ExportLinks } from "../export-links";

export function AuditExport({ filter, filtered }: { filter: AuditFilter; filtered: boolean }) {
  return (
    <div role="group" aria-labelledby="audit-export-label" className="flex flex-wrap items-center gap-2">
      <span id="audit-export-label" className="text-sm text-slate-700">
        {filtered ? "Download the events matching these filters:" : "Download the whole log:"}
      </span>
      <ExportLinks what="audit" filter={filter} />
    </div>
  );
}
