// Feature flags: the shapes of their input, shared by the dashboard's forms and the flag services.
import { z } from "zod";
import { safeText } from "./input-bounds";

export const flagKeySchema = z
  .string({ error: "Key is required" })
  .trim()
  .min(1, "Key is required")
  .max(100, "Key must be at most 100 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "Use lowercase letters, digits, dots, dashes and underscores, e.g. chat.streaming");

const descriptionSchema = safeText().trim().max(500, "Description must be at most 500 characters");

export const createFlagSchema = z.object({
  key: flagKeySchema,
  description: descriptionSchema.default(""),
  enabled: z.boolean().default(false),
  killSwitch: z.boolean().default(false),
  /** Absent for a global flag. */
  targetId: z.string().min(1).optional(),
});

/** The key and the target never change: the orchestrator reads flags by key. */
export const updateFlagSchema = z.object({
  id: z.string().min(1),
  description: descriptionSchema.optional(),
  killSwitch: z.boolean().optional(),
});

export const setFlagEnabledSchema = z.object({ id: z.string().min(1), enabled: z.boolean() });

/** The share of traffic a flag is on for while enabled, delivered as `flags[].percent`. */
export const setFlagPercentSchema = z.object({
  id: z.string().min(1),
  percent: z
    .number({ error: "Percent is a number" })
    .int("Percent is a whole number")
    .min(0, "Percent is at least 0")
    .max(100, "Percent is at most 100"),
});
