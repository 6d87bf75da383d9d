// The ceiling the real ingest endpoint is compared with (test/bench/ingest.ts): a bare Node `http`
// server doing Rewind's ingest work per batch — JSON, validation, the bucket merge, the database write and
// the emergency check, through the same service (ingestMetrics) — without Next.js, API keys, signatures or
// replay protection. Run by the benchmark with DATABASE_URL and PORT; prints "ready" once listening.
import { createServer } from "node:http";
import { createDb } from "@/server/db";
import { ingestMetrics } from "@/server/services/machine/ingest";

const db = createDb(process.env.DATABASE_URL as string);
const options = { bucketWidthMs: 10_000, retentionMs: 30 * 86_400_000 };
const key = { prefix: "rwd_reference", targetSlugs: null };

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    void (async () => {
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const result = await ingestMetrics(db, { key, body }, { now: new Date(), ...options });
        response.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify(result));
      } catch (error) {
        response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
      }
    })();
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
