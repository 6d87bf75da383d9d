// Shapes of input around the audit history: the reason a person gives for a change, and the filters of
// the audit log, shared by the dashboard's forms and the services that validate them again.
import { z } from "zod";

/** Recorded verbatim in the audit event, so it must say something. */
export const reasonSchema = z
  .string({ error: "Give a reason" })
  .trim()
  .min(1, "Give a reason")
  .max(500, "Reason must be at most 500 characters");

export const reasonInputSchema = z.object({ reason: reasonSchema });

export const auditFilterSchema = z
  .object({
    targetId: z.string().min(1).optional(),
    actorId: z.string().min(1).optional(),
    /** A prefix: "rollback." matches every rollback action. */
    action: z.string().trim().toLowerCase().min(1).max(100).optional(),
    /** Both ends inclusive. */
    from: z.date().optional(),
    to: z.date().optional(),
  })
  .refine((filter) => !filter.from || !filter.to || filter.from <= filter.to, {
    message: "From must not be after to",
    path: ["to"],
  });
export type AuditFilter = z.input<typeof auditFilterSchema>;

export const AUDIT_PAGE_MAX = 200;

export const auditPageSchema = z.object({
  filter: auditFilterSchema.default({}),
  /** The `nextCursor` of the previous page: events with a lower sequence follow. */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
});

export const auditExportSchema = z.object({
  filter: auditFilterSchema.default({}),
  format: z.enum(["csv", "json"], { error: "Choose csv or json" }),
});
