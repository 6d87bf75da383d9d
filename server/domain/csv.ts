// CSV for exports people open in spreadsheets: RFC 4180 quoting, and free text kept from running as a formula.

/**
 * RFC 4180: a cell holding a quote, comma or line break is quoted, its quotes doubled. Text a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe, since reasons are free text.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  const text = typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One line of cells, without its line break. */
export function csvLine(cells: readonly (string | number | boolean | null)[]): string {
  return cells.map(csvCell).join(",");
}

/** A header line and one line per row, CRLF-terminated. */
export function toCsv<Column extends string>(
  columns: readonly Column[],
  rows: readonly Record<Column, string | number | boolean | null>[],
): string {
  return [csvLine(columns), ...rows.map((row) => csvLine(columns.map((column) => row[column])))].join("\r\n") + "\r\n";
}
