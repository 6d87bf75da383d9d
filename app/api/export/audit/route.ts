// GET /api/export/audit?format=csv|json&<the audit page's filters>: the filtered log, oldest first, streamed
// (server/services/audit/audit-export.ts) for any signed-in user, as the log itself is. docs/ROLLBACKS.md
import { exportRoute } from "@/server/api/export-http";
import { auditExportSchema } from "@/server/domain/audit";
import { exportAuditEvents } from "@/server/services/audit/audit-export";

export const dynamic = "force-dynamic";

export const GET = exportRoute({
  what: "audit",
  role: "VIEWER",
  parameters: Object.keys(auditExportSchema.shape),
  open: exportAuditEvents,
});
