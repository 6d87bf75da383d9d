// The intake routes' documented paths (issue #14: /api/otlp/v1/traces and /metrics, so that an exporter's
// OTEL_EXPORTER_OTLP_ENDPOINT is https://<host>/api/otlp, and /api/integrations/litellm) and the earlier paths kept as
// aliases for deployed senders: each pair answers the same request the same way and writes the same.
import { describe, expect, inject, it } from "vitest";
import { makeKey, makeTarget, testDb } from "./helpers";

const db = testDb();

const PAIRS = [
  { documented: "/api/otlp/v1/traces", alias: "/api/v1/otlp/v1/traces", body: spans },
  { documented: "/api/otlp/v1/metrics", alias: "/api/v1/otlp/v1/metrics", body: points },
  { documented: "/api/integrations/litellm", alias: "/api/v1/intake/litellm", body: payloads },
] as const;

const NS = 1_000_000n;
const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

function spans(target: string, endMs: number) {
  const end = BigInt(endMs) * NS;
  const span = (latencyMs: number) => ({
    startTimeUnixNano: String(end - BigInt(latencyMs) * NS),
    endTimeUnixNano: String(end),
    attributes: [attribute("gen_ai.request.model", "gpt-4o")],
  });
  return {
    resourceSpans: [
      {
        resource: { attributes: [attribute("rewind.target", target)] },
        scopeSpans: [{ spans: [span(300), span(900)] }],
      },
    ],
  };
}

function points(target: string, endMs: number) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attribute("rewind.target", target)] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: "gen_ai.client.operation.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    {
                      startTimeUnixNano: String(BigInt(endMs - 10_000) * NS),
                      timeUnixNano: String(BigInt(endMs) * NS),
                      count: "2",
                      sum: 1.2,
                      bucketCounts: ["2", "0"],
                      explicitBounds: [1],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function payloads(_target: string, endMs: number) {
  const end = endMs / 1000;
  const call = (latency: number) => ({
    status: "success",
    startTime: end - latency,
    endTime: end,
    model_group: "gpt-4o",
  });
  return [call(0.3), call(0.9)];
}

async function post(path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${inject("baseUrl")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const headersSeen = Object.fromEntries(
    [...response.headers].filter(([name]) => name.startsWith("x-rewind-") || name === "content-type"),
  );
  return { status: response.status, headers: headersSeen, body: (await response.json()) as unknown };
}

async function requests(targetId: string) {
  const rows = await db.metricBucket.findMany({
    where: { targetId, provider: "", model: "", snapshotVersion: 0, flagKey: "" },
    select: { requestCount: true },
  });
  return rows.reduce((sum, row) => sum + row.requestCount, 0);
}

describe("documented intake paths and their aliases", () => {
  for (const { documented, alias, body } of PAIRS) {
    it(`${alias} answers as ${documented}`, async () => {
      const endMs = Date.now() - 15_000;
      const [first, second] = [await makeTarget(db), await makeTarget(db)];
      const key = await makeKey(db, { scopes: ["ingest"], signed: false });

      // The same request, to two targets so that each answer's writes can be told apart.
      const send = (path: string, target: string) =>
        post(path, body(target, endMs), { "X-API-Key": key.key, "X-Rewind-Target": target });
      const [viaDocumented, viaAlias] = [await send(documented, first.slug), await send(alias, second.slug)];
      expect(viaDocumented.status).toBeLessThan(300);
      const withoutTarget = (reply: typeof viaDocumented, slug: string) =>
        JSON.parse(JSON.stringify(reply).replaceAll(slug, "<target>")) as unknown;
      expect(withoutTarget(viaAlias, second.slug)).toEqual(withoutTarget(viaDocumented, first.slug));
      expect(await requests(second.id)).toBe(await requests(first.id));
      expect(await requests(first.id)).toBe(2);

      // And refuse alike: no key, a content type not taken.
      for (const headers of [{}, { "X-API-Key": key.key, "content-type": "text/csv" }] as Record<string, string>[]) {
        const [a, b] = [
          await post(documented, body(first.slug, endMs), headers),
          await post(alias, body(first.slug, endMs), headers),
        ];
        expect(a.status).toBeGreaterThanOrEqual(400);
        expect(b).toEqual(a);
      }
    });
  }
});
