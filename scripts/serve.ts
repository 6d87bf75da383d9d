// The production server, one process and one port: Next.js's request handler for everything, except the
// machine intake's POSTs (server/api/intake-routes.ts), which the same route handlers answer before Next sees
// them (server/api/intake-fast-path.ts): ingestion is the hottest path and Next's per-request work was most of
// its cost (docs/PERFORMANCE.md, "Ingest throughput"). Started by `npm start` and the tests' built app with the
// environment already checked; PORT and HOST as for `next start`.
import { createServer } from "node:http";
import next from "next";
import { intakeHandlerFor, serveIntake } from "../server/api/intake-fast-path";
import { env } from "../server/env.js";
import { root } from "./lib/setup";

const port = env.PORT;
const hostname = env.HOST;
const fastPath = env.INTAKE_FAST_PATH === "on";

const app = next({ dev: false, dir: root, hostname, port });
const nextHandler = app.getRequestHandler();
await app.prepare();

const server = createServer((request, response) => {
  const intake = fastPath ? intakeHandlerFor(request) : undefined;
  void (intake ? serveIntake(intake, request, response) : nextHandler(request, response));
});

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  // As `next start` does: finish the requests in flight, close Next, exit with the signal's code.
  server.close(() => {
    void app.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
  server.closeIdleConnections();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

server.listen(port, hostname, () => console.log(`Serving on ${hostname}:${port}${fastPath ? "" : " (INTAKE_FAST_PATH=off)"}`));
