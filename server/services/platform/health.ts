import "server-only";
import type { Db } from "../../db";

export async function checkHealth(db: Db, version: string) {
  const started = performance.now();
  try {
    await db.$queryRawUnsafe("SELECT 1");
    return {
      ok: true as const,
      version,
      database: { reachable: true, latencyMs: Math.round(performance.now() - started) },
    };
  } catch (error) {
    // The reason stays in the server log; load balancers only need the status.
    console.error("Health check: database unreachable:", error instanceof Error ? error.message : error);
    return { ok: false as const, version, database: { reachable: false } };
  }
}
