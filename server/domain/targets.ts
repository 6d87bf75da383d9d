// Targets: the things Rewind watches and rolls back. Input schemas shared by forms, API and services.
import { z } from "zod";
import { safeText } from "./input-bounds";

export const slugSchema = z
  .string()
  .trim()
  .min(1, "Slug is required")
  .max(64, "Slug must be at most 64 characters")
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lowercase letters, digits and single dashes, e.g. chat-completions");

const nameSchema = safeText().trim().min(1, "Name is required").max(100, "Name must be at most 100 characters");
const descriptionSchema = safeText().trim().max(1_000, "Description must be at most 1,000 characters");

export const createTargetSchema = z.object({
  slug: slugSchema,
  name: nameSchema,
  description: descriptionSchema.default(""),
  monitoringEnabled: z.boolean().default(true),
});

/** The slug never changes: API clients and config delivery address targets by it. */
export const updateTargetSchema = z.object({
  id: z.string().min(1),
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

export const setMonitoringSchema = z.object({ id: z.string().min(1), enabled: z.boolean() });
