// What people and clients send about rollbacks: the request schemas shared by the services and the
// dashboard's forms, and the history's filters.
import { z } from "zod";
import { safeText } from "./input-bounds";
import { reasonSchema } from "./audit";
import { exportFormatSchema, queryTimeSchema } from "./export-stream";
import { rollbackStatuses, rollbackTriggers } from "./rollback";

export const manualRollbackInputSchema = z.object({
  targetId: z.string().min(1, "Target is required"),
  toSnapshotId: z.string().min(1, "Choose the snapshot to roll back to"),
  reason: reasonSchema,
});

const actionInputSchema = z.object({ rollbackId: z.string().min(1, "Rollback is required") });
export const approveInputSchema = actionInputSchema.extend({
  comment: safeText().trim().max(500, "Comment must be at most 500 characters").optional(),
});
export const rejectInputSchema = actionInputSchema.extend({
  comment: z
    .string({ error: "A comment is required to reject a rollback" })
    .trim()
    .min(1, "A comment is required to reject a rollback")
    .max(500, "Comment must be at most 500 characters"),
});
export const reasonActionInputSchema = actionInputSchema.extend({ reason: reasonSchema });

const rollbackFilterShape = {
  targetId: z.string().min(1).optional(),
  trigger: z.enum(rollbackTriggers).optional(),
  status: z.enum(rollbackStatuses).optional(),
  /** A person who requested, approved, rejected, cancelled or aborted it. */
  actorId: z.string().min(1).optional(),
  /** Requested at or after. */
  from: z.date().optional(),
  /** Requested before. */
  to: z.date().optional(),
};
const fromBeforeTo = (filter: { from?: Date | undefined; to?: Date | undefined }) =>
  !filter.from || !filter.to || filter.from < filter.to;
const fromBeforeToIssue = { message: "From must be before to", path: ["to"] };

/** The history's filters: the list, its summary and its export take the same ones. */
export const rollbackFilterSchema = z.object(rollbackFilterShape).refine(fromBeforeTo, fromBeforeToIssue);
export type RollbackFilter = z.input<typeof rollbackFilterSchema>;

export const rollbackListSchema = z
  .object({
    ...rollbackFilterShape,
    /** The `nextCursor` of the previous page. */
    cursor: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .refine(fromBeforeTo, fromBeforeToIssue);

/**
 * GET /api/export/rollbacks's query (app/api/export/rollbacks/route.ts): the format and the history's filters,
 * flat, times in ISO 8601.
 */
export const rollbackExportSchema = z
  .object({
    format: exportFormatSchema,
    ...rollbackFilterShape,
    from: queryTimeSchema.optional(),
    to: queryTimeSchema.optional(),
  })
  .refine(fromBeforeTo, fromBeforeToIssue);
