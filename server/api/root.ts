import "server-only";
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { apiKeysRouter } from "./routers/api-keys";
import { notificationsRouter } from "./routers/notifications";
import { cycleRouter } from "./routers/cycle";
import { dashboardRouter } from "./routers/dashboard";
import { auditRouter } from "./routers/audit";
import { evaluationRouter } from "./routers/evaluation";
import { flagReenablementsRouter } from "./routers/flag-reenablements";
import { flagsRouter } from "./routers/flags";
import { integrationsRouter } from "./routers/integrations";
import { metricSourcesRouter } from "./routers/metric-sources";
import { metricsRouter } from "./routers/metrics";
import { policiesRouter } from "./routers/policies";
import { rollbacksRouter } from "./routers/rollbacks";
import { snapshotsRouter } from "./routers/snapshots";
import { systemRouter } from "./routers/system";
import { targetsRouter } from "./routers/targets";
import { usersRouter } from "./routers/users";

export const appRouter = createTRPCRouter({
  users: usersRouter,
  targets: targetsRouter,
  metrics: metricsRouter,
  policies: policiesRouter,
  evaluation: evaluationRouter,
  rollbacks: rollbacksRouter,
  cycle: cycleRouter,
  snapshots: snapshotsRouter,
  flags: flagsRouter,
  flagReenablements: flagReenablementsRouter,
  system: systemRouter,
  dashboard: dashboardRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  notifications: notificationsRouter,
  integrations: integrationsRouter,
  metricSources: metricSourcesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
