// The registry of documented HTTP routes: one entry per route handler under app/api/v1, app/api/integrations and
// app/ofrep (method, path, summary, auth, request schema, responses, errors), one file per area. document.ts turns
// it into the OpenAPI document; test/http/openapi.test.ts fails when a route file has no entry. Request schemas are
// the very objects the handlers validate with, imported from the domain and services; responses are schemas.ts's (and schemas-ofrep.ts's, schemas-pulled-sources.ts's).
import "server-only";
import type { RouteEntry } from "../registry";
import { adminRoutes } from "./admin";
import { intakeRoutes } from "./intake";
import { machineRoutes } from "./machine";
import { ofrepRoutes } from "./ofrep";
import { rollbackRoutes } from "./rollbacks";

export const allRoutes: readonly RouteEntry[] = [
  ...machineRoutes,
  ...rollbackRoutes,
  ...adminRoutes,
  ...intakeRoutes,
  ...ofrepRoutes,
];
