import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, checksumOf, sha256Hex, type JsonValue } from "@/server/domain/canonical-json";

/** The same value with every object's keys in a shuffled order. */
function reorderKeys(value: JsonValue | undefined, seed: number): JsonValue | undefined {
  if (Array.isArray(value)) return (value as JsonValue[]).map((item, i) => reorderKeys(item, seed + i) ?? null);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, JsonValue | undefined>;
  const keys = Object.keys(record);
  const shift = Math.abs(seed) % Math.max(keys.length, 1);
  const rotated = [...keys.slice(shift), ...keys.slice(0, shift)];
  const ordered = seed % 2 === 0 ? rotated : rotated.reverse();
  return Object.fromEntries(ordered.map((key, i) => [key, reorderKeys(record[key], seed + i)]));
}

/** Paths to every leaf, so a property can change exactly one. */
function leafPaths(value: JsonValue, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [path];
  const entries = Array.isArray(value)
    ? (value as JsonValue[]).map((item, i) => [i, item] as const)
    : Object.entries(value as Record<string, JsonValue>);
  return entries.length === 0 ? [path] : entries.flatMap(([key, item]) => leafPaths(item, [...path, key]));
}

function replaceAt(value: JsonValue, path: (string | number)[], leaf: JsonValue): JsonValue {
  const [head, ...rest] = path;
  if (head === undefined) return leaf;
  if (Array.isArray(value)) {
    return (value as JsonValue[]).map((item, i) => (i === head ? replaceAt(item, rest, leaf) : item));
  }
  const record = value as Record<string, JsonValue>;
  return { ...record, [head]: replaceAt(record[head] ?? null, rest, leaf) };
}

const jsonArb = fc.jsonValue() as fc.Arbitrary<JsonValue>;

describe("canonicalJson", () => {
  it("sorts keys recursively, keeps array order and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: true, y: null }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,1,{"y":null,"z":true}]},"b":1}',
    );
  });

  it("orders keys by UTF-16 code unit and writes numbers in ECMAScript form, as RFC 8785", () => {
    expect(canonicalJson({ é: 1, Z: 2, a: 3, "10": 4, "9": 5 })).toBe('{"10":4,"9":5,"Z":2,"a":3,"é":1}');
    expect(canonicalJson([1.0, -0, 1e21, 0.000001, 1e-7])).toBe("[1,0,1e+21,0.000001,1e-7]");
  });

  it("omits undefined object properties, as a JSON column stores them", () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it.each([
    ["undefined in an array", { providers: [1, undefined] }, "Not a JSON value at providers.1: undefined"],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ["a hole in a sparse array", { steps: [1, , 3] }, "Not a JSON value at steps.1: undefined"],
    ["NaN", { weight: Number.NaN }, "Not a JSON value at weight: NaN (not a finite number)"],
    ["Infinity", { a: { b: Infinity } }, "Not a JSON value at a.b: Infinity (not a finite number)"],
    ["a bigint", { n: 1n }, "Not a JSON value at n: a bigint"],
    ["a function", { f: () => 1 }, "Not a JSON value at f: a function"],
    ["a symbol", [Symbol("s")], "Not a JSON value at 0: a symbol"],
    ["a Date", { at: new Date(0) }, "Not a JSON value at at: a Date (only plain objects and arrays)"],
    ["a Map", new Map(), "Not a JSON value at the top level: a Map (only plain objects and arrays)"],
    ["undefined at the top", undefined, "Not a JSON value at the top level: undefined"],
  ])("rejects %s with the path", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(expect.objectContaining({ code: "VALIDATION", message }));
  });

  it("rejects a circular reference instead of recursing forever", () => {
    const value: Record<string, unknown> = { a: [] };
    (value.a as unknown[]).push(value);
    expect(() => canonicalJson(value)).toThrow("Not a JSON value at a.0: a circular reference");
  });

  it("accepts the same object twice when it is not its own ancestor", () => {
    const shared = { w: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"w":1},"b":[{"w":1}]}');
  });

  it("round-trips through JSON.parse to an equal value", () => {
    fc.assert(
      fc.property(jsonArb, (value) => {
        expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
      }),
    );
  });
});

describe("checksumOf", () => {
  it("is the SHA-256 hex of the canonical JSON", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(checksumOf({ b: 1, a: 2 })).toBe(sha256Hex('{"a":2,"b":1}'));
  });

  it("does not depend on key order", () => {
    fc.assert(
      fc.property(jsonArb, fc.integer(), (value, seed) => {
        expect(checksumOf(reorderKeys(value, seed))).toBe(checksumOf(value));
      }),
    );
  });

  it("changes when any one leaf changes", () => {
    fc.assert(
      fc.property(
        jsonArb.chain((value) => fc.tuple(fc.constant(value), fc.constantFrom(...leafPaths(value)), jsonArb)),
        ([value, path, leaf]) => {
          const changed = replaceAt(value, path, leaf);
          fc.pre(canonicalJson(changed) !== canonicalJson(value));
          expect(checksumOf(changed)).not.toBe(checksumOf(value));
        },
      ),
    );
  });

  it("changes when a leaf's type changes but its text would not", () => {
    expect(checksumOf({ a: 1 })).not.toBe(checksumOf({ a: "1" }));
    expect(checksumOf({ a: null })).not.toBe(checksumOf({ a: "null" }));
    expect(checksumOf([[1, 2]])).not.toBe(checksumOf([1, 2]));
  });
});
