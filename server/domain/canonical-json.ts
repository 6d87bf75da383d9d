// Canonical JSON and SHA-256 over it: the one byte form that snapshot checksums and the audit chain hash,
// so equal values hash equal whatever their key order or the database that stored them.
import { createHash } from "node:crypto";
import { AppError } from "./errors";

/** Undefined object properties are allowed and omitted, as JSON.stringify does (and as a JSON column stores them). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

export type JsonPath = readonly (string | number)[];

/** For messages only ("providers.0.weight"): a key containing a dot reads ambiguously, so data keeps the array. */
export function formatPath(path: JsonPath): string {
  return path.length === 0 ? "the top level" : path.join(".");
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Keys sorted by UTF-16 code unit and numbers in ECMAScript form, as RFC 8785 (JCS) does; no whitespace.
 * Anything JSON cannot carry faithfully is refused rather than silently dropped or turned into null, because
 * a checksum over a lossy form would vouch for data that was never stored.
 */
export function canonicalJson(value: unknown): string {
  return write(value, [], new Set());
}

function write(value: unknown, path: (string | number)[], ancestors: Set<object>): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw notJson(`${value} (not a finite number)`, path);
    return JSON.stringify(value);
  }
  if (typeof value !== "object") throw notJson(describe(value), path);
  if (!Array.isArray(value) && !isPlainObject(value)) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw notJson(`a ${name} (only plain objects and arrays)`, path);
  }
  if (ancestors.has(value)) throw notJson("a circular reference", path);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      // Array.from visits holes of sparse arrays as undefined, so they are refused like explicit undefined.
      const items = Array.from(value as unknown[], (item, i) => write(item, [...path, i], ancestors));
      return `[${items.join(",")}]`;
    }
    const members = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${write(value[key], [...path, key], ancestors)}`);
    return `{${members.join(",")}}`;
  } finally {
    ancestors.delete(value);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return "a bigint";
  return `a ${typeof value}`;
}

function notJson(what: string, path: JsonPath): AppError {
  return new AppError("VALIDATION", `Not a JSON value at ${formatPath(path)}: ${what}`);
}

/**
 * JSON as the database hands it back. Prisma's engine parses Json columns with a float parser that can move a
 * number of 16–17 significant digits by one unit in the last place (0.014717259737276651 reads back as
 * 0.01471725973727665), which breaks any hash or checksum over the stored value: a false "tampered" on the
 * audit chain or a snapshot. Numbers are kept to 15 significant digits, which that parser reads exactly and
 * which no setting needs more of; integers are untouched. Apply it to JSON before hashing and storing it.
 */
export function storableJson<T>(value: T): T {
  return storable(value) as T;
}

function storable(value: unknown): unknown {
  if (typeof value === "number") {
    return Number.isInteger(value) || !Number.isFinite(value) ? value : Number(value.toPrecision(15));
  }
  if (Array.isArray(value)) return value.map(storable);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, storable(item)]));
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function checksumOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
