// The one error type services throw. Routers map it to TRPCError (server/api/trpc.ts) and route
// handlers to an HTTP status with a JSON body (server/api/http.ts); nothing else needs to know.
export type AppErrorCode =
  "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "VALIDATION" | "CONFLICT" | "THROTTLED" | "PRECONDITION_FAILED";

/** Messages keyed by field path (e.g. "email", "steps.2"), for forms to show next to the field. */
export type FieldIssues = Record<string, string>;

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
