// OpenAPI entries: rollbacks over the machine API (list, read, request, cancel, abort).
import "server-only";
import { z } from "zod";
import { rollbackStatuses, rollbackTriggers } from "../../../domain/rollback";
import { listQueryShape, manualRequestSchema, reasonBodySchema } from "../../../services/machine/rollbacks-api";
import { rollbackDetailSchema, rollbackPageSchema } from "../schemas";
import { described, rollbackIdParam, slugParam, type RouteEntry } from "../registry";

export const rollbackRoutes: readonly RouteEntry[] = [
  {
    method: "get",
    path: "/api/v1/rollbacks",
    operationId: "listRollbacks",
    tag: "rollbacks",
    summary: "Rollbacks, newest first, a page at a time",
    description: "An unknown parameter is refused by name (422), so a misspelt filter never silently lists everything.",
    auth: "key",
    scope: "rollbacks:read",
    query: z.object(
      described(listQueryShape, {
        target: "A target's slug: its rollbacks only (404 unknown, 403 outside the key's targets)",
        status: `${rollbackStatuses.join(", ")}: one or more, comma-separated or the parameter repeated`,
        trigger: `${rollbackTriggers.join(", ")}: one or more, like status`,
        since: "Requested at or after: ISO 8601 or epoch milliseconds",
        cursor: "The previous page's nextCursor, unchanged",
        limit: "1–100, default 50",
      }),
    ),
    responses: { 200: { description: "A page", schema: rollbackPageSchema } },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/api/v1/rollbacks/{id}",
    operationId: "getRollback",
    tag: "rollbacks",
    summary: "One rollback: steps, step checks, arms, approvals, verification, timeline",
    description: "Another target's rollback is 404 for a key limited to targets, as if it did not exist.",
    auth: "key",
    scope: "rollbacks:read",
    pathParams: rollbackIdParam,
    responses: { 200: { description: "The rollback", schema: rollbackDetailSchema } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/targets/{slug}/rollbacks",
    operationId: "requestRollback",
    tag: "rollbacks",
    summary: "Request a manual rollback (a person approves it)",
    description: "`toVersion` or `toSnapshotId`, not both; neither: the known-good snapshot.",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: slugParam,
    request: { schema: manualRequestSchema, example: { toVersion: 5, reason: "canary of v7 failed in CI" } },
    responses: { 201: { description: "Pending approval", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/rollbacks/{id}/cancel",
    operationId: "cancelRollback",
    tag: "rollbacks",
    summary: "Cancel a pending or approved rollback",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: rollbackIdParam,
    request: { schema: reasonBodySchema, example: { reason: "v8 fixes it: rolling forward instead" } },
    responses: { 200: { description: "Cancelled", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/rollbacks/{id}/abort",
    operationId: "abortRollback",
    tag: "rollbacks",
    summary: "Abort an in-progress rollback: all traffic back at once",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: rollbackIdParam,
    request: { schema: reasonBodySchema, example: { reason: "the known-good model is being retired today" } },
    responses: { 200: { description: "Aborted", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },
];
