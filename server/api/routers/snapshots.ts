import { z } from "zod";
import { publishSnapshotSchema, snapshotDiffSchema, snapshotMarkSchema } from "../../domain/snapshots";
import { userActor } from "../../services/audit/audit-log";
import {
  diffSnapshots,
  getSnapshot,
  listSnapshots,
  markKnownGood,
  publishSnapshot,
  unmarkKnownGood,
} from "../../services/config/snapshots";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const snapshotsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ targetId: z.string() }))
    .query(({ ctx, input }) => listSnapshots(ctx.db, input.targetId, ctx.clock.now())),
  byId: protectedProcedure
    .input(z.object({ snapshotId: z.string() }))
    .query(({ ctx, input }) => getSnapshot(ctx.db, input.snapshotId)),
  diff: protectedProcedure.input(snapshotDiffSchema).query(({ ctx, input }) => diffSnapshots(ctx.db, input)),
  /** For the dashboard; the orchestrator publishes through the config API with its key. */
  publish: operatorProcedure
    .input(publishSnapshotSchema)
    .mutation(({ ctx, input }) =>
      publishSnapshot(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  markKnownGood: operatorProcedure
    .input(snapshotMarkSchema)
    .mutation(({ ctx, input }) => markKnownGood(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
  unmarkKnownGood: operatorProcedure
    .input(snapshotMarkSchema)
    .mutation(({ ctx, input }) =>
      unmarkKnownGood(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
});
