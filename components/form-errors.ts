// Field messages from a tRPC error: server/api/trpc.ts puts zod and AppError issues in `data.issues`,
// keyed by the input's field path ("burnRate.factor"), so forms can show each next to its field.
export type Issues = Record<string, string>;

export function issuesOf(error: unknown): Issues {
  const data = (error as { data?: { issues?: Issues | null } } | null)?.data;
  return data?.issues ?? {};
}
