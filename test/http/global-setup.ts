// The http project's server: the production build served by `next start` (test/built-app.ts) against a
// fresh database (test/test-database.ts). Tests reach it over real HTTP and set up data through the services
// on the same database.
import type { TestProject } from "vitest/node";
import { startBuiltApp } from "../built-app";
import { createTestDatabase } from "../test-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    baseUrl: string;
    /** API_KEY_ENCRYPTION_KEY of the server, so tests can create keys it can read. */
    apiKeyEncryptionKey: string;
    /** CRON_SECRET of the server, for the cron route's tests. */
    cronSecret: string;
    /** METRICS_TOKEN of the server, for GET /api/metrics. */
    metricsToken: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase();
  // Nothing but the tests' requests may act: the built-in scheduler stays off (startBuiltApp's default).
  const app = await startBuiltApp({ databaseUrl: database.url }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });

  project.provide("databaseUrl", database.url);
  project.provide("baseUrl", app.baseUrl);
  project.provide("apiKeyEncryptionKey", app.apiKeyEncryptionKey);
  project.provide("cronSecret", app.cronSecret);
  project.provide("metricsToken", app.metricsToken);
  return async () => {
    // The server's own log is shown only when something went wrong on its side.
    const log = app.output();
    if (/\[api\].*failed|Error:/.test(log)) console.error(`next start output:\n${log}`);
    await app.stop();
    await database.drop();
  };
}
