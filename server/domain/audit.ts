// Shapes of input around the audit history: the reason a person gives for a change, and the filters of
// the audit log, shared by the dashboard's forms and the services that validate them again.
import { z } from "zod";

/** Who acts, as stored in an audit event (audit-chain.ts hashes it; kept here free of node:crypto for forms). */
export const auditActorTypeSchema = z.enum(["USER", "API_KEY", "SYSTEM"], {
  error: "Choose USER, API_KEY or SYSTEM",
});

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
    /** USER, API_KEY or SYSTEM: the system has no actor id, so this is how to find what Rewind did on its own. */
    actorType: auditActorTypeSchema.optional(),
    /** A prefix: "rollback." matches every rollback action. */
    action: z.string().trim().toLowerCase().min(1).max(100).optional(),
    /** Exact, e.g. FeatureFlag; with entityId, one thing's history. */
    entityType: z.string().trim().min(1).max(100).optional(),
    entityId: z.string().trim().min(1).max(200).optional(),
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

export const auditPageSchema = z
  .object({
    filter: auditFilterSchema.default({}),
    /** The `nextCursor` of a page: the older events, below that sequence, follow. */
    cursor: z.number().int().positive().optional(),
    /** The `newerCursor` of a page: the page of newer events just above that sequence. */
    newerThan: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
  })
  .refine((page) => page.cursor === undefined || page.newerThan === undefined, {
    message: "Page either older or newer, not both",
    path: ["newerThan"],
  });

export const auditExportSchema = z.object({
  filter: auditFilterSchema.default({}),
  format: z.enum(["csv", "json"], { error: "Choose csv or json" }),
});
