// A real HTTP endpoint for delivery tests (Slack, PagerDuty, outbound webhooks): answers 503 to the first
// `failures` requests, then 200, and keeps what it accepted. `answers` changes those (PagerDuty: 202, 400).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export async function httpReceiver(
  failures = 0,
  path = "/hooks/rewind",
  answers: { failure?: number; failureBody?: string; success?: number } = {},
) {
  const received: Received[] = [];
  let calls = 0;
  const server: Server = createServer((request, response) => {
    let rawBody = "";
    request.on("data", (chunk: Buffer) => (rawBody += chunk.toString()));
    request.on("end", () => {
      calls += 1;
      if (calls <= failures) {
        response.writeHead(answers.failure ?? 503).end(answers.failureBody ?? "unavailable");
        return;
      }
      received.push({ headers: request.headers, rawBody });
      response.writeHead(answers.success ?? 200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
