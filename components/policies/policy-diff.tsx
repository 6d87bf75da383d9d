// A field-by-field change list: "Max error rate: 5% → 3%", as a table so screen readers read the columns.
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
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="text-slate-700">
          <tr>
            <th scope="col" className="py-1 pr-3 font-medium">
              Field
            </th>
            <th scope="col" className="py-1 pr-3 font-medium">
              {beforeLabel}
            </th>
            <th scope="col" className="py-1 font-medium">
              <span className="sr-only">becomes </span>
              {afterLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.path} className="border-t border-slate-100">
              <th scope="row" className="py-1 pr-3 font-normal">
                {change.label}
              </th>
              <td className="py-1 pr-3 text-slate-700">
                <del className="decoration-red-700/60">{change.before}</del>
              </td>
              <td className="py-1 font-medium">
                <span aria-hidden="true">→ </span>
                <ins className="no-underline">{change.after}</ins>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
