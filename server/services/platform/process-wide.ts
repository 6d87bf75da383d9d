// State that must be one per process. The production server loads the server modules twice: once in Next.js's
// bundle and once for the intake fast path (scripts/serve.ts), so a module-level value would be two values, e.g.
// the ingestion counter /api/metrics reports would miss what the fast path counted.
import "server-only";

/** The process's one value under `name`, created by the first copy of the module that asks. */
export function processWide<T>(name: string, create: () => T): T {
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  const key = Symbol.for(`rewind.${name}`);
  return (store[key] ??= create());
}
