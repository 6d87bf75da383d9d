// The console's exports (audit log, rollback history) written page by page: the formats, the query's times, and
// CSV and JSON text produced from pages as they are read, byte for byte what the whole list would have given.
import { z } from "zod";
import { csvLine } from "./csv";

export const exportFormats = ["csv", "json"] as const;
export type ExportFormat = (typeof exportFormats)[number];
export const exportFormatSchema = z.enum(exportFormats, { error: "Choose csv or json" });

/**
 * A time filter as a query string gives it (ISO 8601: 2027-05-01T12:00:00.000Z, or a day) or as a caller in
 * process does (a Date).
 */
export const queryTimeSchema = z.union(
  [
    z.date(),
    z.string().transform((text, context) => {
      const at = new Date(text);
      if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime())) {
        context.addIssue({ code: "custom", message: "Give an ISO 8601 time, such as 2027-05-01T12:00:00Z" });
        return z.NEVER;
      }
      return at;
    }),
  ],
  { error: "Give an ISO 8601 time, such as 2027-05-01T12:00:00Z" },
);

/** The header line, then each page's lines: `toCsv` of every row, one page at a time. */
export async function* csvText<Row, Column extends string>(
  columns: readonly Column[],
  pages: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>,
  cells: (row: Row) => Record<Column, string | number | boolean | null>,
): AsyncGenerator<string> {
  yield `${csvLine(columns)}\r\n`;
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield page
      .map((row) => {
        const values = cells(row);
        return `${csvLine(columns.map((column) => values[column]))}\r\n`;
      })
      .join("");
  }
}

/**
 * A JSON array as `JSON.stringify(value, null, 2)` writes it `depth` levels down, items arriving a page at a time:
 * the streamed text equals the whole array's (strings hold no raw line breaks, so indenting lines is safe).
 */
export async function* prettyJsonArray(
  pages: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  depth: number,
): AsyncGenerator<string> {
  const itemIndent = "  ".repeat(depth + 1);
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    const items = page.map((item) => itemIndent + JSON.stringify(item, null, 2).replaceAll("\n", `\n${itemIndent}`));
    yield (first ? "[\n" : ",\n") + items.join(",\n");
    first = false;
  }
  yield first ? "[]" : `\n${"  ".repeat(depth)}]`;
}
