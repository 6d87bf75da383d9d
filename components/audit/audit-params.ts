// The audit page keeps its filter and page in the URL, so a view can be shared, bookmarked and linked to (a
// flag's history, the broken link of the chain). These map the query string to audit.list's input and back.
import { auditFilterSchema, type AuditFilter } from "@/server/domain/audit";

export interface AuditView {
  filter: AuditFilter;
  /** Older page: events below this sequence. */
  cursor?: number;
  /** Newer page: the events just above this sequence. */
  newerThan?: number;
  /** An event to expand and scroll to. */
  highlight?: number;
}

const textParams = ["action", "entityType", "entityId", "actorType", "actorId", "targetId"] as const;

function positiveInt(value: string | null, min: number): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) && number >= min ? number : undefined;
}

/** An invalid filter is dropped whole, with the reason, rather than half-applied. */
export function viewFromParams(params: URLSearchParams): { view: AuditView; error: string | null } {
  const raw: Record<string, unknown> = {};
  for (const name of textParams) {
    const value = params.get(name)?.trim();
    if (value) raw[name] = value;
  }
  for (const name of ["from", "to"] as const) {
    const value = params.get(name);
    if (value) raw[name] = new Date(value);
  }
  const parsed = auditFilterSchema.safeParse(raw);
  const cursor = positiveInt(params.get("before"), 1);
  const newerThan = cursor === undefined ? positiveInt(params.get("after"), 0) : undefined;
  const highlight = positiveInt(params.get("event"), 1);
  const page = {
    ...(cursor !== undefined && { cursor }),
    ...(newerThan !== undefined && { newerThan }),
    ...(highlight !== undefined && { highlight }),
  };
  if (!parsed.success) {
    const message = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    return { view: { filter: {}, ...page }, error: `The filter in the address is not valid (${message})` };
  }
  return { view: { filter: parsed.data, ...page }, error: null };
}

export function paramsFromView(view: AuditView): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of textParams) {
    const value = view.filter[name];
    if (value) params.set(name, value);
  }
  if (view.filter.from) params.set("from", view.filter.from.toISOString());
  if (view.filter.to) params.set("to", view.filter.to.toISOString());
  if (view.cursor !== undefined) params.set("before", String(view.cursor));
  if (view.newerThan !== undefined) params.set("after", String(view.newerThan));
  if (view.highlight !== undefined) params.set("event", String(view.highlight));
  return params;
}

export function hasFilter(filter: AuditFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined && value !== "");
}

/** `<input type="datetime-local">` works in local time to the minute. */
export function toLocalInput(date: Date | undefined): string {
  if (!date) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The end of a range covers its whole minute, so "to 14:30" includes events at 14:30:45. */
export function fromLocalInput(value: string, end: boolean): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  return end ? new Date(date.getTime() + 59_999) : date;
}
