// The one error type services throw. Routers map it to TRPCError (server/api/trpc.ts) and route
// handlers to an HTTP status with a JSON body (server/api/http.ts); nothing else needs to know.
export type AppErrorCode =
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION"
  | "CONFLICT"
  | "THROTTLED"
  | "PRECONDITION_FAILED"
  | "PAYLOAD_TOO_LARGE";

import type { z } from "zod";

/** Messages keyed by field path (e.g. "email", "steps.2"), for forms to show next to the field. */
export type FieldIssues = Record<string, string>;

/** First message per field path; "_" for issues about the whole input. */
export function fieldIssues(error: z.ZodError): FieldIssues {
  const issues: FieldIssues = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "_";
    issues[key] ??= issue.message;
  }
  return issues;
}

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: { issues?: FieldIssues; retryAt?: Date } = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}
