// CPU per pre-aggregated window in ingestMetrics, in process (as ingest-cpu for events): what a sender that
// aggregates itself costs Rewind — an orchestrator posting `windows`, or OTLP metrics, whose delta histogram points
// each become a window. Its load grows with targets × senders per bucket, not with requests (docs/SCALING.md).
import { bucketStart } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { logNormal, seededRandom } from "../../scripts/lib/traffic";
import { forEachDatabase, makeTargets } from "./ingest";
import type { Figure } from "./lib";

const BUCKET_MS = 10_000;
const TARGETS = 20;
/** Windows per request × requests: one sender's 10 s of one target, and a backlog of 100 buckets sent at once. */
const RUNS = [
  { windows: 1, requests: 400 },
  { windows: 100, requests: 40 },
] as const;
/** Requests one sender served in a window: 1,000 req/s over 10 s (its size does not change the window's cost). */
const REQUESTS_PER_WINDOW = 10_000;

export async function ingestWindowsCpu(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const random = seededRandom(5);
  // A few sketches of real log-normal latencies, reused: the benchmark measures ingestion, not their making.
  const sketches = Array.from({ length: 8 }, () => {
    const sketch = LatencySketch.empty();
    for (let i = 0; i < REQUESTS_PER_WINDOW; i++) sketch.add(logNormal(random, 1_200, 0.6));
    return sketch.toData();
  });
  await forEachDatabase(async (database) => {
    const slugs = await makeTargets(database.db, TARGETS);
    for (const run of RUNS) {
      let sent = 0;
      const ingest = async (count: number) => {
        for (let i = 0; i < count; i++, sent++) {
          const now = Date.now();
          // Complete buckets just behind now, as an exporter sends its last interval: each request takes the
          // emergency check at once (it writes into buckets the check judges).
          const latest = bucketStart(now, BUCKET_MS) - BUCKET_MS;
          const body = {
            target: slugs[sent % slugs.length],
            windows: Array.from({ length: run.windows }, (_, w) => ({
              start: latest - w * BUCKET_MS,
              requestCount: REQUESTS_PER_WINDOW,
              errorCount: Math.round(REQUESTS_PER_WINDOW * 0.01),
              costUsd: REQUESTS_PER_WINDOW * 0.002,
              sketch: sketches[(sent + w) % sketches.length],
            })),
          };
          await ingestMetrics(
            database.db,
            // Parsed from text, as the route hands it over.
            { key: { prefix: "rwd_bench", targetSlugs: null }, body: JSON.parse(JSON.stringify(body)) as unknown },
            { now: new Date(now), bucketWidthMs: BUCKET_MS, retentionMs: 30 * 86_400_000 },
          );
        }
      };
      await ingest(20);
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await ingest(run.requests);
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / run.requests;
      const name = `ingestMetrics in process, ${database.name}, ${run.windows} pre-aggregated window${run.windows === 1 ? "" : "s"} per request`;
      figures.push(
        {
          benchmark: name,
          metric: "CPU per request",
          value: cpuMs,
          unit: "ms",
          note: `${run.requests} requests over ${TARGETS} targets, one at a time; emergency check included`,
        },
        { benchmark: name, metric: "windows per CPU-second", value: (run.windows * 1000) / cpuMs, unit: "windows/s" },
        {
          benchmark: name,
          metric: "wall time per request",
          value: (performance.now() - wall) / run.requests,
          unit: "ms",
        },
      );
    }
  });
  return figures;
}
