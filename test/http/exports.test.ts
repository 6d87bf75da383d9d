// GET /api/export/audit and /api/export/rollbacks on the production build: the streamed file equals the whole
// list computed at once (thousands of rows, several pages), for a signed-in viewer; named as an attachment;
// refused without a session and, by parameter name, for bad filters.
import { describe, expect, inject, it } from "vitest";
import type { AuditFilter } from "@/server/domain/audit";
import type { RollbackFilter } from "@/server/domain/rollback-inputs";
import { setDisabled } from "@/server/services/access/users";
import { systemActor } from "@/server/services/audit/audit-log";
import {
  auditExportReference,
  rollbackExportReference,
  seedAuditEvents,
  seedRollbacks,
} from "../integration/export-fixtures";
import { testDb } from "./helpers";
import { signIn, type BrowserSession } from "./session";

const db = testDb();
const T = Date.parse("2027-08-01T00:00:00Z");

function get(path: string, session?: BrowserSession): Promise<Response> {
  return fetch(`${inject("baseUrl")}${path}`, {
    headers: session ? { cookie: session.cookie } : {},
    redirect: "manual",
  });
}

/** A filter as the console's links send it: times in ISO 8601. */
const query = (params: Record<string, string | Date | undefined>) =>
  new URLSearchParams(
    Object.entries(params).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, value instanceof Date ? value.toISOString() : value]],
    ),
  ).toString();

describe("GET /api/export/audit", () => {
  it("streams the filtered log to a viewer as the whole list would be, as a named attachment", async () => {
    const { entityType, operator } = await seedAuditEvents(db, 4_500, T);
    const viewer = await signIn(db, "VIEWER");
    const cases: AuditFilter[] = [
      { entityType },
      { entityType, action: "export.c", actorId: operator.id },
      { entityType, from: new Date(T + 1_000_000), to: new Date(T + 2_500_000) },
    ];
    for (const filter of cases) {
      for (const format of ["csv", "json"] as const) {
        const response = await get(`/api/export/audit?${query({ format, ...filter })}`, viewer);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(
          format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        );
        expect(response.headers.get("content-disposition")).toMatch(
          new RegExp(`^attachment; filename="rewind-audit-\\d{8}T\\d{6}Z\\.${format}"$`),
        );
        expect(response.headers.get("cache-control")).toBe("no-store");
        const text = await response.text();
        const expected = await auditExportReference(db, filter, format);
        expect(text, `${format} ${JSON.stringify(filter)}`).toBe(expected);
      }
    }
  });

  it("refuses callers without a session, or whose session ended, with 401", async () => {
    const anonymous = await get("/api/export/audit?format=csv");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });

    const session = await signIn(db, "VIEWER");
    expect((await get("/api/export/audit?format=csv&entityType=Nothing", session)).status).toBe(200);
    await setDisabled(db, { actor: systemActor, userId: session.userId, disabled: true }, new Date());
    const ended = await get("/api/export/audit?format=csv&entityType=Nothing", session);
    expect(ended.status).toBe(401);
  });

  it("refuses bad filters by parameter name, before sending anything", async () => {
    const viewer = await signIn(db, "VIEWER");
    const refusal = async (search: string) => {
      const response = await get(`/api/export/audit?${search}`, viewer);
      return { status: response.status, body: (await response.json()) as { error: { issues?: object } } };
    };
    expect(await refusal("format=xml")).toMatchObject({
      status: 422,
      body: { error: { code: "VALIDATION", issues: { format: "Choose csv or json" } } },
    });
    expect(await refusal("format=csv&from=yesterday")).toMatchObject({
      status: 422,
      body: { error: { issues: { from: expect.stringMatching(/ISO 8601/) } } },
    });
    expect(await refusal("format=csv&from=2027-05-02T00:00:00Z&to=2027-05-01T00:00:00Z")).toMatchObject({
      status: 422,
      body: { error: { issues: { to: "From must not be after to" } } },
    });
    expect(await refusal("format=csv&actorType=ROBOT")).toMatchObject({
      body: { error: { issues: { actorType: "Choose USER, API_KEY or SYSTEM" } } },
    });
    expect(await refusal("format=csv&colour=red")).toMatchObject({
      status: 422,
      body: { error: { issues: { colour: expect.stringMatching(/^Unknown parameter: the export takes format, /) } } },
    });
    expect(await refusal("format=csv&action=a&action=b")).toMatchObject({
      status: 422,
      body: { error: { issues: { action: "Give action once" } } },
    });
  });
});

describe("GET /api/export/rollbacks", () => {
  it("streams the filtered history newest first as the whole list would be", async () => {
    const { target } = await seedRollbacks(db, 2_500, T);
    const viewer = await signIn(db, "VIEWER");
    const cases: RollbackFilter[] = [
      { targetId: target.id },
      { targetId: target.id, trigger: "SLO", status: "COMPLETED" },
      { targetId: target.id, from: new Date(T + 3_600_000), to: new Date(T + 4 * 3_600_000) },
    ];
    for (const filter of cases) {
      for (const format of ["csv", "json"] as const) {
        const response = await get(`/api/export/rollbacks?${query({ format, ...filter })}`, viewer);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-disposition")).toMatch(
          new RegExp(`^attachment; filename="rewind-rollbacks-\\d{8}T\\d{6}Z\\.${format}"$`),
        );
        const expected = await rollbackExportReference(db, filter, format);
        expect(await response.text(), `${format} ${JSON.stringify(filter)}`).toBe(expected);
      }
    }

    expect((await get(`/api/export/rollbacks?format=json&targetId=${target.id}`)).status).toBe(401);
    for (const [search, issues] of [
      ["format=csv&status=DONE", { status: expect.any(String) }],
      ["format=csv&target=x", { target: expect.stringMatching(/^Unknown parameter/) }],
      ["format=json&from=2027-08-02&to=2027-08-01", { to: "From must be before to" }],
    ] as const) {
      const bad = await get(`/api/export/rollbacks?${search}`, viewer);
      expect(bad.status).toBe(422);
      expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION", issues } });
    }
  });
});
