// Exports written page by page (server/domain/export-stream.ts) give the text of the whole list at once, however
// the rows fall into pages; and the console's export links carry the filter as the routes read it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exportHref } from "@/components/export-links";
import { toCsv } from "@/server/domain/csv";
import { csvText, prettyJsonArray, queryTimeSchema } from "@/server/domain/export-stream";

async function textOf(chunks: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += chunk;
  return text;
}

/** `items` cut into pages at the given sizes (the last takes the rest; a 0 is an empty page). */
function paged<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const pages: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    pages.push(items.slice(at, at + size));
    at += size;
  }
  pages.push(items.slice(at));
  return pages;
}

const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const cell = fc.oneof(
  fc.string(),
  fc.constantFrom("=SUM(A1)", '"q", x', "a\r\nb", "-1", "@x"),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

describe("prettyJsonArray", () => {
  it("equals JSON.stringify(…, null, 2) of the whole array, at any depth and any paging", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(json, { maxLength: 12 }),
        fc.array(fc.nat(4), { maxLength: 5 }),
        async (items, sizes) => {
          expect(await textOf(prettyJsonArray(paged(items, sizes), 0))).toBe(JSON.stringify(items, null, 2));
          const nested = `{\n  "items": ${await textOf(prettyJsonArray(paged(items, sizes), 1))}\n}`;
          expect(nested).toBe(JSON.stringify({ items }, null, 2));
        },
      ),
    );
  });

  it("writes dates and nulls inside items as JSON.stringify does", async () => {
    const items = [{ at: new Date("2027-05-01T00:00:00Z"), before: null, text: "line\nbreak" }];
    expect(await textOf(prettyJsonArray([items], 0))).toBe(JSON.stringify(items, null, 2));
  });
});

describe("csvText", () => {
  it("equals toCsv of every row, however the rows are paged", async () => {
    const columns = ["a", "b", "c"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ a: cell, b: cell, c: cell }), { maxLength: 12 }),
        fc.array(fc.nat(4), { maxLength: 5 }),
        async (rows, sizes) => {
          expect(await textOf(csvText(columns, paged(rows, sizes), (row) => row))).toBe(toCsv(columns, rows));
        },
      ),
    );
  });
});

describe("export query times", () => {
  it("take ISO 8601 times and days, and Dates from callers in process", () => {
    expect(queryTimeSchema.parse("2027-05-01T12:00:00Z")).toEqual(new Date("2027-05-01T12:00:00Z"));
    expect(queryTimeSchema.parse("2027-05-01")).toEqual(new Date("2027-05-01T00:00:00Z"));
    expect(queryTimeSchema.parse(new Date(5))).toEqual(new Date(5));
    for (const text of ["yesterday", "1714550400000", "2027-13-45", ""]) {
      expect(queryTimeSchema.safeParse(text).success, text).toBe(false);
    }
  });
});

describe("exportHref", () => {
  it("puts the format and the filter's set fields in the query, times in ISO 8601", () => {
    expect(
      exportHref("rollbacks", "json", {
        targetId: "t 1",
        status: "COMPLETED",
        actorId: undefined,
        from: new Date("2027-05-01T00:00:00Z"),
      }),
    ).toBe("/api/export/rollbacks?format=json&targetId=t+1&status=COMPLETED&from=2027-05-01T00%3A00%3A00.000Z");
    expect(exportHref("audit", "csv", { action: "" })).toBe("/api/export/audit?format=csv");
  });
});
