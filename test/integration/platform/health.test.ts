import { describe, expect, it } from "vitest";
import { createDb } from "@/server/db";
import { checkHealth } from "@/server/services/platform/health";
import { testDb } from "../helpers";

describe("health", () => {
  it("reports a reachable database", async () => {
    const health = await checkHealth(testDb(), "1.2.3");
    expect(health).toMatchObject({ ok: true, version: "1.2.3", database: { reachable: true } });
  });

  it("reports an unreachable database without throwing", async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const unreachable = createDb("postgresql://nobody@127.0.0.1:9/none");
    const health = await checkHealth(unreachable, "1.2.3");
    expect(health).toEqual({ ok: false, version: "1.2.3", database: { reachable: false } });
    await unreachable.$disconnect();
  });
});
