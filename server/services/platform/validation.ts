import "server-only";
import type { z } from "zod";
import { AppError, fieldIssues } from "../../domain/errors";

/** Services validate their own input, whoever calls them (router, route handler, CLI). */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = fieldIssues(result.error);
    const summary = Object.entries(issues)
      .map(([field, message]) => (field === "_" ? message : `${field}: ${message}`))
      .join("; ");
    throw new AppError("VALIDATION", `Invalid input: ${summary}`, { issues });
  }
  return result.data;
}
