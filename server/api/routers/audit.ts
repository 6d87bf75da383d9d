import "server-only";
import { auditPageSchema, auditVerifyRequestSchema } from "../../domain/audit";
import { verifyAuditChain } from "../../services/audit/audit-chain";
import { createAuditCheckpoint, listAuditCheckpoints } from "../../services/audit/audit-checkpoints";
import { auditFacets, listAuditEvents } from "../../services/audit/audit-reads";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(auditPageSchema).query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
  /** The actions, entity types and actors present, for the log's filters. */
  facets: protectedProcedure.query(({ ctx }) => auditFacets(ctx.db)),
  /** Hashes only the events since the last verified prefix; also checks a checkpoint pasted from outside. */
  verify: protectedProcedure
    .input(auditVerifyRequestSchema.optional())
    .query(({ ctx, input }) => verifyAuditChain(ctx.db, input, { now: ctx.now })),
  /** Re-hashes the whole chain and checks every stored checkpoint: admins, as it reads the whole log. */
  reverify: adminProcedure
    .input(auditVerifyRequestSchema.optional())
    .mutation(({ ctx, input }) => verifyAuditChain(ctx.db, input, { now: ctx.now, full: true })),
  checkpoints: protectedProcedure.query(({ ctx }) => listAuditCheckpoints(ctx.db)),
  createCheckpoint: adminProcedure.mutation(({ ctx }) =>
    createAuditCheckpoint(ctx.db, { actor: ctx.actor, now: ctx.now }),
  ),
});
