// For load balancers: 200 when the database answers, 503 when it does not.
import packageJson from "@/package.json" with { type: "json" };
import { getDb } from "@/server/db";
import { checkHealth } from "@/server/services/platform/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const health = await checkHealth(getDb(), packageJson.version);
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
