import { auditExportSchema, auditPageSchema } from "../../domain/audit";
import { exportAuditEvents, listAuditEvents, verifyAuditChain } from "../../services/audit";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(auditPageSchema).query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
  verify: protectedProcedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
  export: protectedProcedure.input(auditExportSchema).query(({ ctx, input }) => exportAuditEvents(ctx.db, input)),
});
