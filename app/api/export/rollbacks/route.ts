// GET /api/export/rollbacks?format=csv|json&<the history's filters>: every matching rollback, newest first,
// streamed (server/services/rollbacks/history.ts) for any signed-in user, as the history is. docs/ROLLBACKS.md
import { exportRoute } from "@/server/api/export-http";
import { rollbackExportSchema } from "@/server/domain/rollback-inputs";
import { exportRollbacks } from "@/server/services/rollbacks/history";

export const dynamic = "force-dynamic";

export const GET = exportRoute({
  what: "rollbacks",
  role: "VIEWER",
  parameters: Object.keys(rollbackExportSchema.shape),
  open: exportRollbacks,
});
