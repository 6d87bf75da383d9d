// A config as indented JSON lines, each marked when a change (server/domain/snapshots.ts diffConfigs) touches
// it, for the side-by-side snapshot diff. Keys are sorted as in the diff, so both sides list them in one order.
import type { JsonValue } from "@/server/domain/canonical-json";
import type { ConfigChange } from "@/server/domain/snapshots";

export type ChangeKind = ConfigChange["kind"];

export interface JsonLine {
  indent: number;
  text: string;
  /** The change at this line's value or at a value containing it; null when unchanged. */
  mark: ChangeKind | null;
}

const pathKey = (path: readonly (string | number)[]) => JSON.stringify(path);

/**
 * The lines of `value`; on side "from", removed and changed values are marked, on side "to" added and
 * changed ones (an added value does not exist on the "from" side, and the reverse).
 */
export function jsonLines(value: JsonValue, changes: readonly ConfigChange[], side: "from" | "to"): JsonLine[] {
  const shown: ChangeKind = side === "from" ? "removed" : "added";
  const marks = new Map(
    changes
      .filter((change) => change.kind === shown || change.kind === "changed")
      .map((c) => [pathKey(c.path), c.kind]),
  );
  const lines: JsonLine[] = [];

  function emit(
    node: JsonValue,
    path: (string | number)[],
    key: string | null,
    indent: number,
    comma: boolean,
    inherited: ChangeKind | null,
  ) {
    const mark = inherited ?? marks.get(pathKey(path)) ?? null;
    const prefix = key === null ? "" : `${JSON.stringify(key)}: `;
    const end = comma ? "," : "";
    const entries: [string | number, JsonValue][] | null = Array.isArray(node)
      ? (node as JsonValue[]).map((item, i) => [i, item])
      : node !== null && typeof node === "object"
        ? Object.keys(node)
            .filter((k) => (node as Record<string, JsonValue | undefined>)[k] !== undefined)
            .sort()
            .map((k) => [k, (node as Record<string, JsonValue>)[k] as JsonValue])
        : null;
    if (entries === null || entries.length === 0) {
      const text = entries === null ? JSON.stringify(node) : Array.isArray(node) ? "[]" : "{}";
      lines.push({ indent, text: `${prefix}${text}${end}`, mark });
      return;
    }
    const [open, close] = Array.isArray(node) ? ["[", "]"] : ["{", "}"];
    lines.push({ indent, text: `${prefix}${open}`, mark });
    entries.forEach(([childKey, child], i) =>
      emit(
        child,
        [...path, childKey],
        typeof childKey === "string" ? childKey : null,
        indent + 1,
        i < entries.length - 1,
        mark,
      ),
    );
    lines.push({ indent, text: `${close}${end}`, mark });
  }

  emit(value, [], null, 0, false, null);
  return lines;
}

/** "providers[1].weight" for a diff path. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(whole config)";
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}
