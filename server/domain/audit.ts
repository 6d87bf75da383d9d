// Shapes of input around the audit history: the reason a person gives for a change, and the filters of
// the audit log, shared by the dashboard's forms and the services that validate them again.
import { z } from "zod";
import { exportFormatSchema, queryTimeSchema } from "./export-stream";
import { safeText } from "./input-bounds";

/** Who acts, as stored in an audit event (audit-chain.ts hashes it; kept here free of node:crypto for forms). */
export const auditActorTypeSchema = z.enum(["USER", "API_KEY", "SYSTEM"], {
  error: "Choose USER, API_KEY or SYSTEM",
});

/** Recorded verbatim in the audit event, so it must say something. */
export const reasonSchema = safeText({ error: "Give a reason" })
  .trim()
  .min(1, "Give a reason")
  .max(500, "Reason must be at most 500 characters");

export const reasonInputSchema = z.object({ reason: reasonSchema });

const auditFilterShape = {
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
};
const fromNotAfterTo: [
  (filter: { from?: Date | undefined; to?: Date | undefined }) => boolean,
  z.core.$ZodCustomParams,
] = [
  (filter) => !filter.from || !filter.to || filter.from <= filter.to,
  { message: "From must not be after to", path: ["to"] },
];

export const auditFilterSchema = z.object(auditFilterShape).refine(...fromNotAfterTo);
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

/**
 * GET /api/export/audit's query (app/api/export/audit/route.ts): the format and the log's filters, flat, named as
 * on the audit page's address, times in ISO 8601.
 */
export const auditExportSchema = z
  .object({
    format: exportFormatSchema,
    ...auditFilterShape,
    from: queryTimeSchema.optional(),
    to: queryTimeSchema.optional(),
  })
  .refine(...fromNotAfterTo);

/** A signed checkpoint as the file, the `audit.checkpoint` notification and the export carry it. */
export const auditCheckpointSchema = z.object({
  sequence: z.number({ error: "sequence must be a number" }).int().positive("sequence must be 1 or more"),
  hash: z.string({ error: "hash is missing" }).regex(/^[0-9a-f]{64}$/, "hash must be 64 hex digits"),
  at: z.iso
    .datetime({ error: "at must be a time such as 2027-05-01T12:00:00.000Z" })
    .refine((at) => new Date(at).toISOString() === at, "at must be in the exported form (milliseconds and Z)"),
  signature: z.string({ error: "signature is missing" }).regex(/^[0-9a-f]{64}$/, "signature must be 64 hex digits"),
});
export type AuditCheckpointInput = z.output<typeof auditCheckpointSchema>;

const CHECKPOINT_TEXT_MAX = 10_000;

/**
 * What someone pastes to check the chain against: a line of the checkpoint file, the checkpoint from an
 * export, or a whole `audit.checkpoint` webhook body (its `payload` is the checkpoint).
 */
export const checkpointTextSchema = z
  .string()
  .trim()
  .min(1, "Paste a checkpoint")
  .max(CHECKPOINT_TEXT_MAX, `A checkpoint is a short JSON line (at most ${CHECKPOINT_TEXT_MAX} characters)`)
  .transform((text, context): AuditCheckpointInput => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      context.addIssue({ code: "custom", message: "Not JSON: paste one checkpoint line as it was sent" });
      return z.NEVER;
    }
    const payload = (value as { payload?: unknown } | null)?.payload;
    const parsed = auditCheckpointSchema.safeParse(typeof payload === "object" && payload !== null ? payload : value);
    if (!parsed.success) {
      context.addIssue({
        code: "custom",
        message: `Not a checkpoint: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`,
      });
      return z.NEVER;
    }
    return parsed.data;
  });

/** `audit.verify` and `audit.reverify` as requested: optionally a pasted checkpoint, still as text. */
export const auditVerifyRequestSchema = z.object({ checkpoint: z.string().optional() });

/** What the service validates: the text parsed into a checkpoint (a wrong one is a field issue on `checkpoint`). */
export const auditVerifySchema = z.object({ checkpoint: checkpointTextSchema.optional() });
