// Unexpected errors reach clients as "Internal error" and a request id, never with the error's own message (a
// Prisma message names tables, columns and values); the server log has both, under that id. Through the real
// tRPC fetch handler and the machine API's error mapping.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterEach, describe, expect, it } from "vitest";
import { errorResponse } from "@/server/api/http";
import { appRouter } from "@/server/api/root";
import { systemClock, type Context } from "@/server/api/trpc";
import type { Db } from "@/server/db";
import { AppError } from "@/server/domain/errors";
import { makeUser, testDb } from "../helpers";
import { captureLog, type CapturedLog } from "../../capture-log";

const db = testDb();
const LEAK = 'Invalid `prisma.target.findMany()` invocation: column "Target.secret_column" does not exist';

/** The run's database, except that reading targets fails as a broken query would. */
function brokenDb(): Db {
  const target = new Proxy(db.target, {
    get: (model, property) =>
      property === "findMany" ? () => Promise.reject(new Error(LEAK)) : (Reflect.get(model, property) as unknown),
  });
  return new Proxy(db, {
    get: (client, property) => (property === "target" ? target : (Reflect.get(client, property) as unknown)),
  });
}

let captured: CapturedLog | null = null;
afterEach(() => {
  captured?.restore();
  captured = null;
});

/** The error lines of the server log: request id and the error's message. */
function logged(log: CapturedLog): string[] {
  return log
    .lines()
    .filter((line) => line.level === "error")
    .map((line) => `${String(line.requestId)} ${(line.error as { message?: string } | undefined)?.message ?? ""}`);
}

describe("internal errors", () => {
  it("reach tRPC clients as 'Internal error' and a request id that the log has with the real error", async () => {
    const log = (captured = captureLog("error"));
    const user = await makeUser(db, "VIEWER");
    const ctx = {
      db: brokenDb(),
      clock: systemClock,
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
    } as Context;
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/targets.list"),
      router: appRouter,
      createContext: () => ctx,
    });

    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret_column");
    expect(text).not.toContain("prisma");
    const body = JSON.parse(text) as {
      error: { json: { message: string; data: { code: string; requestId: string; stack?: string } } };
    };
    const { message, data } = body.error.json;
    expect(message).toBe("Internal error");
    expect(data).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    expect(data.stack).toBeUndefined();
    expect(logged(log)).toContainEqual(
      expect.stringMatching(new RegExp(`${data.requestId}.*secret_column`)) as unknown,
    );
  });

  it("leave refusals as they are: a validation error keeps its message and field issues", async () => {
    const user = await makeUser(db, "OPERATOR");
    const ctx = { db, clock: systemClock, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/targets.create", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { slug: "ok-slug", name: "bad\u0000name" } }),
      }),
      router: appRouter,
      createContext: () => ctx as Context,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { json: { data: { issues: Record<string, string>; requestId: null } } };
    };
    expect(body.error.json.data).toMatchObject({
      issues: { name: expect.stringMatching(/NUL/) as unknown },
      requestId: null,
    });
  });

  it("reach machine clients as 'Internal error' with the id in the body and a header", async () => {
    const log = (captured = captureLog("error"));
    const response = errorResponse(new Error(LEAK), new Date(), "POST /api/v1/ingest");
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret_column");
    const { error } = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
    expect(error).toEqual({ code: "INTERNAL", message: "Internal error", requestId: expect.any(String) as unknown });
    expect(response.headers.get("x-request-id")).toBe(error.requestId);
    expect(logged(log)).toContainEqual(
      expect.stringMatching(new RegExp(`${error.requestId}.*secret_column`)) as unknown,
    );

    const refused = errorResponse(
      new AppError("VALIDATION", "Invalid input: x: y", { issues: { x: "y" } }),
      new Date(),
    );
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({
      error: { code: "VALIDATION", message: "Invalid input: x: y", issues: { x: "y" } },
    });
  });
});
