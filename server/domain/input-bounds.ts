// What Rewind accepts so that SQLite and PostgreSQL store it alike: text without NUL or unpaired surrogates,
// numbers within what the columns hold and plausible for what they measure, JSON shallow enough to walk.
// Anything else is a 422 naming the field, never a database error. The bounds are listed in docs/API.md.
import { z } from "zod";

/** `Int` columns are 32-bit on PostgreSQL (64-bit on SQLite): the smaller one rules. */
export const MAX_INT_COLUMN = 2_147_483_647;

/** `BigInt` columns hold 64 bits, but the domain sums them as numbers, exact only up to 2^53 − 1. */
export const MAX_EXACT_SUM = Number.MAX_SAFE_INTEGER;

/** Snapshot configs (and any JSON Rewind stores) nest at most this deep: real configs stay under ten. */
export const MAX_JSON_DEPTH = 32;

/**
 * Plausible maxima of what traffic reports. Far above any real request or fleet, far below what would
 * overflow a column: a window at the Int limit would make every later batch of its bucket overflow.
 */
export const metricBounds = {
  /** A request (or its first token) slower than an hour timed out long ago; 1e308 would read as an emergency. */
  latencyMs: 3_600_000,
  /** One request. */
  eventCostUsd: 1_000,
  /** One request's input or output tokens (the largest context windows are a few million). */
  eventTokens: 100_000_000,
  /** One window: 10 million requests a second in a 10 s bucket; a bucket's total may reach MAX_INT_COLUMN. */
  windowRequests: 100_000_000,
  /** One window; a bucket's total cost, in micro-dollars, may reach MAX_EXACT_SUM (about $9 billion). */
  windowCostUsd: 1_000_000_000,
  /** One window's input or output tokens; a bucket's total may reach MAX_EXACT_SUM. */
  windowTokens: 1_000_000_000_000,
  /** The last millisecond of year 9999: ISO 8601 and both databases' timestamps end there. */
  timestampMs: 253_402_300_799_999,
} as const;

/** Any surrogate, paired or not: the rare text worth a closer look (a regular expression beats a loop). */
const SURROGATE = /[\ud800-\udfff]/;

/** Why text cannot be stored as given, or null: PostgreSQL refuses NUL and invalid UTF-8 that SQLite would keep. */
export function textProblem(text: string): string | null {
  if (!text.includes("\u0000") && !SURROGATE.test(text)) return null;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return "Text must not contain NUL characters (\\u0000)";
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return "Text must not contain unpaired UTF-16 surrogates (not valid Unicode)";
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return "Text must not contain unpaired UTF-16 surrogates (not valid Unicode)";
    }
  }
  return null;
}

/**
 * A string both databases store as sent. Chain the field's own rules after it:
 * `safeText({ error: "Name must be text" }).trim().min(1).max(100)`.
 */
export function safeText(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).superRefine((text, ctx) => {
    const problem = textProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

export interface BoundsProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The first problem found in a JSON value (plain objects and arrays; anything else is a leaf): text, in a key
 * or a string, that cannot be stored, or more than `maxDepth` objects and arrays one inside another (the top level counts as one). A level's
 * own keys and strings are checked before what nests below it. Iterative, with paths built only for the answer:
 * a value nested a million deep costs neither stack nor copies, and a 10,000-event batch a few milliseconds.
 */
export function jsonProblem(value: unknown, options: { maxDepth?: number } = {}): BoundsProblem | null {
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  if (typeof value === "string") {
    const problem = textProblem(value);
    return problem ? { path: [], message: problem } : null;
  }
  if (!isContainer(value)) return null;
  const stack: Container[] = [{ value, key: null, parent: null, depth: 0 }];
  const below: Container[] = [];
  for (let at = stack.pop(); at; at = stack.pop()) {
    const container = at;
    const problemAt = (key: string | number, message: string) => ({ path: [...pathOf(container), key], message });
    const visit = (key: string | number, child: unknown): BoundsProblem | null => {
      if (typeof child === "string") {
        const problem = textProblem(child);
        return problem ? problemAt(key, problem) : null;
      }
      if (isContainer(child)) {
        if (container.depth + 1 >= maxDepth) return problemAt(key, `Nested deeper than ${maxDepth} levels`);
        below.push({ value: child, key, parent: container, depth: container.depth + 1 });
      }
      return null;
    };
    below.length = 0;
    if (Array.isArray(container.value)) {
      const items = container.value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const problem = visit(i, items[i]);
        if (problem) return problem;
      }
    } else {
      const object = container.value as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        const keyProblem = textProblem(key);
        if (keyProblem) return problemAt(key, `Key: ${keyProblem}`);
        const problem = visit(key, object[key]);
        if (problem) return problem;
      }
    }
    // Pushed in reverse, so siblings are visited in document order.
    for (let i = below.length - 1; i >= 0; i--) stack.push(below[i] as Container);
  }
  return null;
}

interface Container {
  value: object;
  key: string | number | null;
  parent: Container | null;
  depth: number;
}

function pathOf(container: Container): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Container | null = container; at && at.key !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** Arrays and plain objects: what JSON parsing makes. Class instances (dates, sketches) are leaves. */
function isContainer(value: unknown): value is object {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
