import "server-only";
import { z } from "zod";
import { publishSnapshotSchema, snapshotDiffSchema, snapshotMarkSchema } from "../../domain/snapshots";
import { markKnownGood, unmarkKnownGood } from "../../services/config/snapshot-known-good";
import { publishSnapshot } from "../../services/config/snapshot-publishing";
import { diffSnapshots, getSnapshot, listSnapshots } from "../../services/config/snapshot-reads";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const snapshotsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ targetId: z.string() }))
    .query(({ ctx, input }) => listSnapshots(ctx.db, input.targetId, ctx.now)),
  byId: protectedProcedure
    .input(z.object({ snapshotId: z.string() }))
    .query(({ ctx, input }) => getSnapshot(ctx.db, input.snapshotId)),
  diff: protectedProcedure.input(snapshotDiffSchema).query(({ ctx, input }) => diffSnapshots(ctx.db, input)),
  /** For the dashboard; the orchestrator publishes through the config API with its key. */
  publish: operatorProcedure
    .input(publishSnapshotSchema)
    .mutation(({ ctx, input }) => publishSnapshot(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  markKnownGood: operatorProcedure
    .input(snapshotMarkSchema)
    .mutation(({ ctx, input }) => markKnownGood(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  unmarkKnownGood: operatorProcedure
    .input(snapshotMarkSchema)
    .mutation(({ ctx, input }) => unmarkKnownGood(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
