// The OpenAPI bodies of OpenFeature's OFREP endpoints (/ofrep/v1): evaluations, and refusals in OFREP's shape
// rather than the machine API's one error body.
import "server-only";
import { z } from "zod";

/** The single OFREP endpoint's 400 and 404; the bulk endpoint's 400 has no `key`. */
export const ofrepEvaluationFailureSchema = z
  .object({
    key: z.string().optional().meta({ description: "The flag asked for (single-flag endpoint only)." }),
    errorCode: z.enum(["PARSE_ERROR", "INVALID_CONTEXT", "TARGETING_KEY_MISSING", "FLAG_NOT_FOUND"]),
    errorDetails: z.string(),
  })
  .meta({
    id: "OfrepEvaluationFailure",
    example: { key: "chat.streaming", errorCode: "FLAG_NOT_FOUND", errorDetails: "No flag 'chat.streaming' in scope" },
  });

/** OFREP's other refusals (401, 403, 413, 429, 500): the machine API's status, OFREP's body. */
export const ofrepErrorSchema = z
  .object({ errorDetails: z.string() })
  .meta({ id: "OfrepError", example: { errorDetails: "Unknown or revoked API key" } });

const flagMetadataSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .meta({ description: "killSwitch, percent; turnedOffBy, rollbackId, emergencyStopActive when they apply." });

export const ofrepSuccessSchema = z
  .object({
    key: z.string(),
    value: z.boolean(),
    reason: z.enum(["STATIC", "SPLIT", "DISABLED"]),
    variant: z.enum(["on", "off"]),
    metadata: flagMetadataSchema,
  })
  .meta({ id: "OfrepEvaluationSuccess" });

export const ofrepFlagFailureSchema = z.object({
  key: z.string(),
  errorCode: z.enum(["FLAG_NOT_FOUND", "TARGETING_KEY_MISSING"]),
  errorDetails: z.string(),
});

export const ofrepBulkSchema = z.object({
  flags: z.array(z.union([ofrepSuccessSchema, ofrepFlagFailureSchema])),
  metadata: z.object({ target: z.string() }).optional(),
});
