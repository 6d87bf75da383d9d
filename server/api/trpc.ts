// The only tRPC building blocks routers may use: the context and the role-based procedures, each
// built on the one before it (admin ⊇ approver ⊇ operator ⊇ viewer).
import "server-only";
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Db } from "../db";
import { AppError, fieldIssues, type AppErrorCode, type FieldIssues } from "../domain/errors";
import { hasRole, type RoleName } from "../domain/roles";
import { findSessionUser, type SessionClaim, type SessionUser } from "../services/access/sessions";
import { userActor } from "../services/audit/audit-log";
import { addLogContext, currentRequestId, log } from "../services/platform/log";

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Context {
  db: Db;
  clock: Clock;
  /** Re-read from the database for every request: role changes, disabling and ended sessions apply at once. */
  user: SessionUser | null;
}

/** `session`: what the request's session token says (server/auth/session.ts), null without one. */
export async function createContext(options: {
  db: Db;
  session: SessionClaim | null;
  clock?: Clock;
}): Promise<Context> {
  const user = await findSessionUser(options.db, options.session);
  return { db: options.db, clock: options.clock ?? systemClock, user };
}

const trpcCodes: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  VALIDATION: "BAD_REQUEST",
  CONFLICT: "CONFLICT",
  THROTTLED: "TOO_MANY_REQUESTS",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
};

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  /**
   * What the browser learns of an error: field `issues` for forms, and of an unexpected error (a bug, a
   * database's refusal) only "Internal error" and a request id. The error itself goes to the server log under
   * that id: a Prisma message names tables, columns and values.
   */
  errorFormatter({ shape, error, path }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // The HTTP route's request id (app/api/trpc/[trpc]/route.ts), on this line and on the request's others.
      const requestId = currentRequestId() ?? randomUUID();
      log.error("request.failed", { procedure: path ?? "?", requestId, error: error.cause ?? error });
      const data = { ...shape.data };
      delete data.stack;
      return { ...shape, message: "Internal error", data: { ...data, issues: null, requestId } };
    }
    log.debug("request.refused", { procedure: path ?? "?", code: error.code, message: error.message });
    let issues: FieldIssues | null = null;
    if (error.cause instanceof ZodError) issues = fieldIssues(error.cause);
    else if (error.cause instanceof AppError) issues = error.cause.details.issues ?? null;
    return { ...shape, data: { ...shape.data, issues, requestId: null } };
  },
});

/** Maps AppError to TRPCError, once for every procedure. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodes[cause.code], message: cause.message, cause });
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(appErrors);

/**
 * Signed in. Puts who acts (`actor`, the audit actor of the signed-in user) and when (`now`, read once from
 * the context's clock, which tests control) in `ctx`, so procedures pass them on instead of rebuilding them.
 */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  addLogContext({ caller: `user:${ctx.user.id}` });
  return next({ ctx: { ...ctx, user: ctx.user, actor: userActor(ctx.user.id), now: ctx.clock.now() } });
});

function requireRole(role: RoleName, label: string) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (!hasRole(ctx.user.role, role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${label} role or higher` });
    }
    return next();
  });
}

export const operatorProcedure = requireRole("OPERATOR", "operator");
export const approverProcedure = requireRole("APPROVER", "approver");
export const adminProcedure = requireRole("ADMIN", "admin");
