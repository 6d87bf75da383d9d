// The production server's fast path (scripts/serve.ts): the machine intake's POSTs answered by their route
// handlers (intake-routes.ts) straight from Node's request, before Next.js. The handler is the one Next would
// call, so API key, rate limit, body limit, signature, Idempotency-Key and error bodies are the same by
// construction; this file only turns Node's request into a fetch Request and the Response back, adding the
// headers next.config.js gives every /api response. docs/ARCHITECTURE.md, "The intake fast path".
import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { apiResponseHeaders } from "../response-headers.js";
import { log } from "../services/platform/log";
import { errorResponse, MAX_BODY_BYTES } from "./http";
import { intakeFastPaths } from "./intake-routes";

type IntakeHandler = (request: Request) => Promise<Response>;

/** The handler for a request the fast path answers: a POST to one of the intake paths exactly; else undefined. */
export function intakeHandlerFor(request: IncomingMessage): IntakeHandler | undefined {
  if (request.method !== "POST" || !request.url) return undefined;
  const query = request.url.indexOf("?");
  return intakeFastPaths.get(query === -1 ? request.url : request.url.slice(0, query));
}

/**
 * The body, read no further than one byte past `limit`: the handler's own readBody then refuses it with the
 * route's 413 body, as it does in Next. An announced length past the limit is not read at all.
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
        resolve({ body: Buffer.concat(chunks).subarray(0, limit + 1), overLimit: true });
      }
    };
    const onEnd = () => resolve({ body: Buffer.concat(chunks, size), overLimit: false });
    request.on("data", onData).once("end", onEnd).once("error", reject);
  });
}

function fetchRequest(request: IncomingMessage, body: Buffer): Request {
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  // The host only names the URL (the signature covers path and query): a malformed one must not fail the request.
  let url: URL;
  try {
    url = new URL(request.url as string, `http://${request.headers.host ?? "localhost"}`);
  } catch {
    url = new URL(request.url as string, "http://localhost");
  }
  const bytes = body.length > 0 ? new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length) : null;
  return new Request(url, { method: "POST", headers, body: bytes });
}

/** Answers one intake request. Never rejects: a failure is the machine API's 500 body, logged with a request id. */
export async function serveIntake(handler: IntakeHandler, request: IncomingMessage, response: ServerResponse) {
  const forwardedProto = request.headers["x-forwarded-proto"];
  const headers = apiResponseHeaders(Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto);
  let answer: Response;
  let overLimit = false;
  try {
    const read = await readNodeBody(request, MAX_BODY_BYTES);
    overLimit = read.overLimit;
    answer = await handler(fetchRequest(request, read.body));
  } catch (error) {
    if (request.destroyed) return; // the client went away mid-body: nobody to answer
    answer = errorResponse(error, new Date(), `POST ${request.url}`);
  }
  try {
    const payload = Buffer.from(await answer.arrayBuffer());
    answer.headers.forEach((value, name) => (headers[name] = value));
    // The rest of an oversized body is not worth reading: answer, then close the connection.
    if (overLimit) headers.connection = "close";
    headers["content-length"] = String(payload.length);
    response.writeHead(answer.status, headers).end(payload);
  } catch (error) {
    log.error("request.failed", { context: `POST ${request.url}`, error });
    response.destroy();
  }
}
