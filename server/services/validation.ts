import type { z } from "zod";
import { AppError, type FieldIssues } from "../domain/errors";

/** Field path → first message, the shape forms show next to each field. */
export function fieldIssues(error: z.ZodError): FieldIssues {
  const issues: FieldIssues = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "_";
    issues[key] ??= issue.message;
  }
  return issues;
}

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
