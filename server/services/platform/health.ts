import "server-only";
import type { Db } from "../../db";
import { log } from "./log";

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
    log.error("health.database_unreachable", { message: error instanceof Error ? error.message : String(error) });
    return { ok: false as const, version, database: { reachable: false } };
  }
}
