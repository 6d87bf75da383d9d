// The http project's server: the production build served as `npm start` serves it (test/built-app.ts) against a
// fresh database (test/test-database.ts). Tests reach it over real HTTP and set up data through the services
// on the same database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startBuiltApp } from "../built-app";
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
    /**
     * Port on 127.0.0.1 where test/http/sns.test.ts serves SNS's part (certificates, SubscribeURL): the server's
     * SNS_CERTIFICATE_HOSTS names it exactly, the one form under which it fetches plain http (docs/SECURITY.md).
     */
    snsPort: number;
    /** A file with everything the server printed (its log at LOG_LEVEL=debug), for server-log.test.ts. */
    serverLogFile: string;
    /** The port of the server's SLACK_API_URL, where a test stands in for Slack (slack-interactions.test.ts). */
    slackStandInPort: number;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase();
  // Nothing but the tests' requests may act: the built-in scheduler stays off (startBuiltApp's default).
  // Slack's Web API (and so the response URLs the server will post to) is a local stand-in that a test listens on.
  const slackStandInPort = await freePort();
  // SNS's certificates and SubscribeURL: a local stand-in too (test/http/sns.test.ts), named exactly (loopback).
  const snsPort = await freePort();
  const logDir = mkdtempSync(path.join(tmpdir(), "rewind-http-log-"));
  const serverLogFile = path.join(logDir, "server.log");
  const app = await startBuiltApp({
    databaseUrl: database.url,
    logFile: serverLogFile,
    env: {
      SLACK_API_URL: `http://127.0.0.1:${slackStandInPort}/api`,
      LOG_LEVEL: "debug",
      SNS_CERTIFICATE_HOSTS: `127.0.0.1:${snsPort}`,
    },
  }).catch(async (error: unknown) => {
    rmSync(logDir, { recursive: true, force: true });
    await database.drop();
    throw error;
  });

  project.provide("databaseUrl", database.url);
  project.provide("baseUrl", app.baseUrl);
  project.provide("apiKeyEncryptionKey", app.apiKeyEncryptionKey);
  project.provide("cronSecret", app.cronSecret);
  project.provide("metricsToken", app.metricsToken);
  project.provide("snsPort", snsPort);
  project.provide("serverLogFile", serverLogFile);
  project.provide("slackStandInPort", slackStandInPort);
  return async () => {
    // The server's own log is shown only when something went wrong on its side.
    const log = app.output();
    if (/"level":"error"|^(?!\{).*Error:/m.test(log)) console.error(`server output:\n${log}`);
    await app.stop();
    rmSync(logDir, { recursive: true, force: true });
    await database.drop();
  };
}
