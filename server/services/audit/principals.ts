// Who a stored actor id names, for display: rows keep a user's or an API key's id in one column (`actorIdOf`),
// so every page, export and notification resolves it here, in bulk, and names a key by its name, never "Rewind".
import "server-only";
import type { Db, Tx } from "../../db";

export type PrincipalDto =
  | { type: "USER"; id: string; name: string; email: string }
  | { type: "API_KEY"; id: string; name: string; prefix: string }
  | { type: "SYSTEM" }
  | { type: "UNKNOWN"; id: string };

/**
 * Resolves ids in two queries. Null is Rewind itself (SYSTEM); an id no user or key has any more is UNKNOWN
 * (deleted rows keep their history).
 */
export async function principals(
  db: Db | Tx,
  ids: readonly (string | null)[],
): Promise<(id: string | null) => PrincipalDto> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const [users, keys] =
    wanted.length === 0
      ? [[], []]
      : await Promise.all([
          db.user.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true, email: true } }),
          db.apiKey.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true, prefix: true } }),
        ]);
  const found = new Map<string, PrincipalDto>([
    ...users.map((user) => [user.id, { type: "USER" as const, ...user }] as const),
    ...keys.map((key) => [key.id, { type: "API_KEY" as const, ...key }] as const),
  ]);
  return (id) => (id === null ? { type: "SYSTEM" } : (found.get(id) ?? { type: "UNKNOWN", id }));
}

/** A principal as the console shows a person: a key reads `API key “deploy-bot”`, with no email. */
export interface PersonRef {
  id: string;
  name: string;
  email: string | null;
}

export function personRef(principal: PrincipalDto): PersonRef | null {
  switch (principal.type) {
    case "USER":
      return { id: principal.id, name: principal.name, email: principal.email };
    case "API_KEY":
      return { id: principal.id, name: apiKeyLabel(principal.name), email: null };
    case "SYSTEM":
    case "UNKNOWN":
      return null;
  }
}

export function apiKeyLabel(name: string): string {
  return `API key “${name}”`;
}
