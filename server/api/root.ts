import { createCallerFactory, createTRPCRouter } from "./trpc";
import { evaluationRouter } from "./routers/evaluation";
import { metricsRouter } from "./routers/metrics";
import { policiesRouter } from "./routers/policies";
import { targetsRouter } from "./routers/targets";
import { usersRouter } from "./routers/users";

export const appRouter = createTRPCRouter({
  users: usersRouter,
  targets: targetsRouter,
  metrics: metricsRouter,
  policies: policiesRouter,
  evaluation: evaluationRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
