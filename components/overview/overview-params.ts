// The overview keeps its search, group and page in the address (`/?q=chat&group=healthy&page=2`), so a view can
// be shared and survives a reload. These map the query string to dashboard.overview's input and back; a value
// that is not one is dropped rather than refused: the page still shows everything.
import { overviewGroups, type OverviewGroup } from "@/server/domain/overview";

export interface OverviewViewState {
  search: string;
  group: OverviewGroup | null;
  page: number;
}

/** "AWAITING_APPROVAL" ↔ "awaiting-approval": readable in an address. */
const groupParam = (group: OverviewGroup) => group.toLowerCase().replaceAll("_", "-");

type Params = Record<string, string | string[] | undefined>;

export function overviewViewFromParams(params: Params): OverviewViewState {
  const one = (name: string) => {
    const value = params[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const page = Number(one("page"));
  return {
    search: (one("q") ?? "").trim().slice(0, 200),
    group: overviewGroups.find((group) => groupParam(group) === one("group")) ?? null,
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

export function overviewViewQuery(view: OverviewViewState): string {
  const params = new URLSearchParams();
  if (view.search) params.set("q", view.search);
  if (view.group) params.set("group", groupParam(view.group));
  if (view.page > 1) params.set("page", String(view.page));
  const query = params.toString();
  return query ? `?${query}` : "";
}
