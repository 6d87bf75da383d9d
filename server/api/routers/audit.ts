import "server-only";
import { auditExportSchema, auditPageSchema } from "../../domain/audit";
import { auditFacets, exportAuditEvents, listAuditEvents, verifyAuditChain } from "../../services/audit/audit-log";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(auditPageSchema).query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
  /** The actions, entity types and actors present, for the log's filters. */
  facets: protectedProcedure.query(({ ctx }) => auditFacets(ctx.db)),
  verify: protectedProcedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
  export: protectedProcedure.input(auditExportSchema).query(({ ctx, input }) => exportAuditEvents(ctx.db, input)),
});
