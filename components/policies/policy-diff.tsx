// A field-by-field change list: "Max error rate: 5% → 3%", as a table so screen readers read the columns.
import { DataTable } from "../data-table";
import type { PolicyChange } from "./policy-fields";

export function PolicyDiffTable({
  changes,
  caption,
  beforeLabel = "Before",
  afterLabel = "After",
}: {
  changes: PolicyChange[];
  caption: string;
  beforeLabel?: string;
  afterLabel?: string;
}) {
  return (
    <div className="overflow-x-auto">
      <DataTable
        caption={caption}
        density="inline"
        head="plain"
        rows={changes}
        rowKey={(change) => change.path}
        columns={[
          { id: "field", header: "Field", rowHeader: true, cell: (change) => change.label },
          {
            id: "before",
            header: beforeLabel,
            className: "text-slate-700",
            cell: (change) => <del className="decoration-red-700/60">{change.before}</del>,
          },
          {
            id: "after",
            header: (
              <>
                <span className="sr-only">becomes </span>
                {afterLabel}
              </>
            ),
            className: "font-medium",
            cell: (change) => (
              <>
                <span aria-hidden="true">→ </span>
                <ins className="no-underline">{change.after}</ins>
              </>
            ),
          },
        ]}
      />
    </div>
  );
}
