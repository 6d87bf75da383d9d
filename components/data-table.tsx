// The one table component: columns declared once (header, cell, alignment, SLO unit), accessible markup
// (a caption or an aria-label, <th scope="col">, an optional row header), an empty state, optional row links
// and a full-width details row under a row. Callers keep their own frame (scroll area, border).
import Link from "next/link";
import { Fragment, type Key, type ReactNode } from "react";
import { columnFormat, formatUnit, type SloUnit } from "@/server/domain/slo";

interface ColumnBase {
  /** Stable and unique among the columns. */
  id: string;
  header: ReactNode;
  /** The header is read by screen readers but not shown (an "Actions" column). */
  hideHeader?: boolean;
  /** Figures: aligned right, with tabular digits. */
  numeric?: boolean;
  /** This column's cells are the rows' headers (<th scope="row">), e.g. a name or a time. */
  rowHeader?: boolean;
  /** Extra classes for this column's cells (not its header). */
  className?: string;
}

/** A cell rendered by the caller, or a figure of a catalogue unit formatted by the one formatter per unit. */
export type Column<Row> = ColumnBase &
  (
    | { cell: (row: Row) => ReactNode; unit?: never; value?: never }
    | { unit: SloUnit; value: (row: Row) => number | null | undefined; cell?: never }
  );

const densities = {
  /** Page tables in a bordered box. */
  normal: { cell: "px-3 py-2", text: "text-sm" },
  /** Secondary tables inside a card or a disclosure. */
  compact: { cell: "px-2 py-1", text: "text-sm" },
  /** Tables that read like a list: no side padding before the first column. */
  inline: { cell: "py-1 pr-3", text: "text-sm" },
  /** Data behind a chart. */
  dense: { cell: "px-2 py-0.5", text: "text-xs" },
} as const;

export interface DataTableProps<Row> {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  /** A caption (visible when `captionVisible`) or an aria-label names every table. */
  caption?: ReactNode;
  captionVisible?: boolean;
  label?: string;
  /** Shown in one full-width cell when there are no rows. */
  empty?: ReactNode;
  /** Defaults to the row's position, for tables that never reorder. */
  rowKey?: (row: Row, index: number) => Key;
  /** Where the row leads: the row header's content (else the first column's) becomes the link. */
  rowHref?: (row: Row) => string | undefined;
  /** Per-row attributes, e.g. an anchor id or a highlight. */
  rowProps?: (row: Row) => { id?: string; className?: string };
  /** A full-width row under the row (expanded details), with its id for aria-controls; className pads its cell. */
  details?: (row: Row) => { id: string; content: ReactNode; className?: string } | null;
  density?: keyof typeof densities;
  /** The header row's shading. */
  head?: "shaded" | "plain";
  /** Cells aligned to the top, for rows with several lines. */
  alignTop?: boolean;
  className?: string;
  headClassName?: string;
}

type Format = (value: number | null | undefined) => string;

/** `format` is the column's (columnFormat over all its rows); without one, the unit's own formatter. */
function cellText<Row>(column: Column<Row>, row: Row, format: Format | undefined): ReactNode {
  if (column.unit === undefined) return column.cell(row);
  const value = column.value(row);
  return format ? format(value) : formatUnit(column.unit, value);
}

export function DataTable<Row>({
  columns,
  rows,
  caption,
  captionVisible = false,
  label,
  empty = "Nothing to show.",
  rowKey = (_row, index) => index,
  rowHref,
  rowProps,
  details,
  density = "normal",
  head = "shaded",
  alignTop = false,
  className = "",
  headClassName,
}: DataTableProps<Row>) {
  const { cell: pad, text } = densities[density];
  const linkColumn = columns.find((column) => column.rowHeader) ?? columns[0];
  // A unit column reads in one scale: all milliseconds, or all seconds once one figure reaches a second.
  const formats = new Map(
    columns.flatMap((column) =>
      column.unit !== undefined ? [[column.id, columnFormat(column.unit, rows.map(column.value))] as const] : [],
    ),
  );
  const headClass = headClassName ?? (head === "shaded" ? "bg-slate-50 text-slate-700" : "text-slate-700");
  return (
    <table aria-label={caption === undefined ? label : undefined} className={`w-full text-left ${text} ${className}`}>
      {caption !== undefined ? (
        <caption className={captionVisible ? "mb-1 text-left font-medium" : "sr-only"}>{caption}</caption>
      ) : null}
      <thead className={headClass}>
        <tr>
          {columns.map((column) => (
            <th key={column.id} scope="col" className={`${pad} font-medium ${column.numeric ? "text-right" : ""}`}>
              {column.hideHeader ? <span className="sr-only">{column.header}</span> : column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr className="border-t border-slate-100">
            <td colSpan={columns.length} className={`${pad} text-slate-600`}>
              {empty}
            </td>
          </tr>
        ) : (
          rows.map((row, index) => {
            const href = rowHref?.(row);
            const extra = rowProps?.(row);
            const more = details?.(row) ?? null;
            return (
              <Fragment key={rowKey(row, index)}>
                <tr
                  id={extra?.id}
                  className={`border-t border-slate-100 ${alignTop ? "align-top" : ""} ${extra?.className ?? ""}`}
                >
                  {columns.map((column) => {
                    const content = cellText(column, row, formats.get(column.id));
                    const shown =
                      href && column === linkColumn ? (
                        <Link href={href} className="text-indigo-700 underline hover:text-indigo-900">
                          {content}
                        </Link>
                      ) : (
                        content
                      );
                    const classes = [
                      pad,
                      column.numeric || column.unit !== undefined ? "tabular-nums" : "",
                      column.numeric ? "text-right" : "",
                      column.rowHeader && !/\bfont-(normal|medium|semibold|bold)\b/.test(column.className ?? "")
                        ? "font-normal"
                        : "",
                      column.className ?? "",
                    ].join(" ");
                    return column.rowHeader ? (
                      <th key={column.id} scope="row" className={classes}>
                        {shown}
                      </th>
                    ) : (
                      <td key={column.id} className={classes}>
                        {shown}
                      </td>
                    );
                  })}
                </tr>
                {more ? (
                  <tr id={more.id} className="bg-slate-50">
                    <td colSpan={columns.length} className={more.className ?? "px-3 py-3"}>
                      {more.content}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })
        )}
      </tbody>
    </table>
  );
}
