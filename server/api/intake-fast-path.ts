// The production server's fast path (scripts/serve.ts): the machine intake's POSTs answered by their route
// handlers (intake-routes.ts) straight from Node's request, before Next.js. The handling is the one Next calls
// (`answer` beside each route), so API key, rate limit, body limit, signature, Idempotency-Key and error bodies
// are the same by construction; this file only reads Node's request as a MachineCall, without building a fetch
// Request, and writes the Answer with the headers next.config.js gives every /api response.
// docs/ARCHITECTURE.md, "The intake fast path".
import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { apiResponseHeaders } from "../response-headers.js";
import { log } from "../services/platform/log";
import { errorAnswer, MAX_BODY_BYTES, tooLarge, type Answer, type MachineCall } from "./http";
import { intakeFastPaths } from "./intake-routes";

type IntakeHandler = (call: MachineCall) => Promise<Answer>;

/** The handler for a request the fast path answers: a POST to one of the intake paths exactly; else undefined. */
export function intakeHandlerFor(request: IncomingMessage): IntakeHandler | undefined {
  if (request.method !== "POST" || !request.url) return undefined;
  const query = request.url.indexOf("?");
  return intakeFastPaths.get(query === -1 ? request.url : request.url.slice(0, query));
}

/**
 * The body, read no further than one byte past `limit` (an announced length past it is not read at all), so an
 * oversized body costs no more than the limit.
 */
function readNodeBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; overLimit: boolean }> {
  if (Number(request.headers["content-length"] ?? 0) > limit) {
    return Promise.resolve({ body: Buffer.alloc(0), overLimit: true });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData).off("end", onEnd);
        resolve({ body: Buffer.alloc(0), overLimit: true });
      }
    };
    const onEnd = () =>
      resolve({ body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), overLimit: false });
    // A client gone mid-body closes the request without an end (after the end, rejecting changes nothing).
    const onClose = () => reject(new Error("The client closed the request before its body ended"));
    request.on("data", onData).once("end", onEnd).once("error", reject).once("close", onClose);
  });
}

/**
 * Node's request as the handlers read a fetch Request: a header's values joined with ", " as `Headers.get` joins
 * them (Node keeps only the first of some, e.g. Authorization), and a URL that a malformed Host cannot break
 * (the signature covers the path and query only).
 */
function callOf(request: IncomingMessage, read: { body: Buffer; overLimit: boolean }): MachineCall {
  const raw = request.rawHeaders;
  let url: string;
  try {
    url = new URL(request.url as string, `http://${request.headers.host ?? "localhost"}`).href;
  } catch {
    url = new URL(request.url as string, "http://localhost").href;
  }
  return {
    method: "POST",
    url,
    headers: {
      get(name: string) {
        const wanted = name.toLowerCase();
        let value: string | null = null;
        for (let i = 0; i < raw.length; i += 2) {
          if ((raw[i] as string).toLowerCase() === wanted)
            value = value === null ? (raw[i + 1] as string) : `${value}, ${raw[i + 1]}`;
        }
        return value;
      },
    },
    body: () => (read.overLimit ? Promise.reject(tooLarge()) : Promise.resolve(read.body)),
  };
}

/** Answers one intake request. Never rejects: a failure is the machine API's 500 body, logged with a request id. */
export async function serveIntake(handler: IntakeHandler, request: IncomingMessage, response: ServerResponse) {
  let answer: Answer;
  let overLimit = false;
  try {
    const read = await readNodeBody(request, MAX_BODY_BYTES);
    overLimit = read.overLimit;
    answer = await handler(callOf(request, read));
  } catch (error) {
    if (request.destroyed) return; // the client went away mid-body: nobody to answer
    answer = errorAnswer(error, new Date(), `POST ${request.url}`);
  }
  try {
    const forwardedProto = request.headers["x-forwarded-proto"];
    const headers = {
      ...apiResponseHeaders(Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto),
      ...answer.headers,
      "Content-Length": String(answer.body === null ? 0 : Buffer.byteLength(answer.body)),
      // The rest of an oversized body is not worth reading: answer, then close the connection.
      ...(overLimit && { Connection: "close" }),
    };
    response.writeHead(answer.status, headers).end(answer.body ?? undefined);
  } catch (error) {
    log.error("request.failed", { context: `POST ${request.url}`, error });
    response.destroy();
  }
}
