// The audit export read and written a page at a time (server/services/audit/audit-export.ts) against the
// straightforward computation, the whole list read and written at once, on thousands of events: every filter,
// both formats, page boundaries, events appended while it runs, and refused input.
import { describe, expect, it } from "vitest";
import type { AuditFilter } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { verifyAuditChain } from "@/server/services/audit/audit-chain";
import { AUDIT_EXPORT_PAGE, exportAuditEvents } from "@/server/services/audit/audit-export";
import { appendAudit, systemActor } from "@/server/services/audit/audit-log";
import { auditExportReference, seedAuditEvents, textOf } from "../export-fixtures";
import { testDb } from "../helpers";

const db = testDb();
const T = Date.parse("2027-06-01T00:00:00Z");
const COUNT = 2 * AUDIT_EXPORT_PAGE + 500;

describe("audit export", () => {
  it("streams what the whole list gives, page by page, for every filter and both formats", async () => {
    const { entityType, operator, apiKey, target } = await seedAuditEvents(db, COUNT, T);
    const filters: AuditFilter[] = [
      { entityType },
      { entityType, action: "export.b" },
      { entityType, actorType: "SYSTEM" },
      { entityType, actorId: operator.id },
      { entityType, actorId: apiKey.id, entityId: "e3" },
      { entityType, targetId: target.id },
      // Both ends inclusive, across a page boundary.
      { entityType, from: new Date(T + 1_000_000), to: new Date(T + 3_000_000) },
      { entityType, from: new Date(T + COUNT * 1_000) },
      // The whole log, everything the run has appended so far.
      {},
    ];
    for (const filter of filters) {
      for (const format of ["csv", "json"] as const) {
        const streamed = await textOf(exportAuditEvents(db, { ...filter, format }).chunks);
        expect(streamed.text, `${format} ${JSON.stringify(filter)}`).toBe(
          await auditExportReference(db, filter, format),
        );
      }
    }

    // Written a page at a time: the CSV header, then one chunk per page of events.
    const csv = await textOf(exportAuditEvents(db, { entityType, format: "csv" }).chunks);
    expect(csv.chunks).toBe(1 + Math.ceil(COUNT / AUDIT_EXPORT_PAGE));
    expect(csv.text.split("\r\n")).toHaveLength(COUNT + 2);
    const json = JSON.parse((await textOf(exportAuditEvents(db, { entityType, format: "json" }).chunks)).text) as {
      events: { sequence: number }[];
      checkpoints: unknown[];
    };
    expect(json.events).toHaveLength(COUNT);
    expect(json.events.map((event) => event.sequence)).toEqual(
      [...json.events.map((event) => event.sequence)].sort((a, b) => a - b),
    );
    // Appended in bulk, still one valid chain: the tests after this one share it.
    expect((await verifyAuditChain(db, {}, { now: new Date(), full: true })).ok).toBe(true);
  });

  it("writes an empty export as the whole list would", async () => {
    const filter = { entityType: "NothingHasThisType" };
    for (const format of ["csv", "json"] as const) {
      const streamed = await textOf(exportAuditEvents(db, { ...filter, format }).chunks);
      expect(streamed.text).toBe(await auditExportReference(db, filter, format));
    }
    expect((await textOf(exportAuditEvents(db, { ...filter, format: "json" }).chunks)).text).toMatch(
      /^\{\n {2}"events": \[\],\n {2}"checkpoints": /,
    );
  });

  it("ends at the log's head when it began: events appended meanwhile wait for the next export", async () => {
    const { entityType } = await seedAuditEvents(db, AUDIT_EXPORT_PAGE + 10, T);
    const { chunks } = exportAuditEvents(db, { entityType, format: "csv" });
    const header = await chunks.next();
    const firstPage = await chunks.next();
    expect(header.done).toBe(false);
    expect(firstPage.done).toBe(false);
    await db.$transaction((tx) =>
      appendAudit(tx, { actor: systemActor, action: "export.late", entityType, entityId: "late" }, new Date(T)),
    );
    const rest = await textOf(chunks);
    expect(rest.text.split("\r\n").filter(Boolean)).toHaveLength(10);
    expect(rest.text).not.toContain("export.late");
    const next = await textOf(exportAuditEvents(db, { entityType, format: "csv" }).chunks);
    expect(next.text).toContain("export.late");
  });

  it("refuses a wrong format or filter by the parameter's name before reading anything", () => {
    const refusal = (input: Record<string, unknown>): { code: string; issues: Record<string, unknown> } | null => {
      try {
        exportAuditEvents(db, input as never);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return { code: error.code, issues: error.details.issues ?? {} };
      }
      return null;
    };
    expect(refusal({ format: "xml" })).toEqual({ code: "VALIDATION", issues: { format: "Choose csv or json" } });
    expect(refusal({})).toMatchObject({ code: "VALIDATION", issues: { format: expect.any(String) as unknown } });
    expect(refusal({ format: "csv", from: "yesterday" })).toEqual({
      code: "VALIDATION",
      issues: { from: "Give an ISO 8601 time, such as 2027-05-01T12:00:00Z" },
    });
    expect(refusal({ format: "csv", from: "2027-05-02T00:00:00Z", to: "2027-05-01T00:00:00Z" })).toEqual({
      code: "VALIDATION",
      issues: { to: "From must not be after to" },
    });
    expect(refusal({ format: "json", actorType: "ROBOT" })).toMatchObject({
      code: "VALIDATION",
      issues: { actorType: "Choose USER, API_KEY or SYSTEM" },
    });
    expect(refusal({ format: "csv", action: "x".repeat(101) })).toMatchObject({
      issues: { action: expect.any(String) as unknown },
    });
    expect(refusal({ format: "csv", from: "2027-05-01", to: "2027-05-02T00:00:00Z" })).toBeNull();
  });
});
