// `--only audit-export`: GET /api/export/audit on the production build over 1,000,000 audit events (seeded in bulk
// SQL: the export reads rows, it does not check the chain). A tenth of the log, then all of it, as CSV and JSON,
// read as fast as the client takes it: events/s, bytes, and the server's resident memory sampled every 50 ms, so
// the same growth for 100,000 and 1,000,000 events shows memory does not grow with the export.
import Database from "better-sqlite3";
import { request } from "node:http";
import { loadavg } from "node:os";
import { readFileSync } from "node:fs";
import pg from "pg";
import { sqliteFilePath } from "@/server/db/url";
import { createUser } from "@/server/services/access/users";
import { systemActor } from "@/server/services/audit/audit-log";
import { residentMemoryMiB, type BuiltApp } from "../built-app";
import { forEachDatabase, withApp } from "./ingest";
import type { Figure } from "./lib";

const EVENTS = 1_000_000;
const START = Date.UTC(2026, 0, 1);
const PASSWORD = "correct horse battery staple";

/**
 * One event a second from START, cycling through a few actors, targets, actions and JSON bodies as the log's
 * own events look: ~400 bytes of CSV each. Hashes are placeholders.
 */
async function seed(
  database: { name: string; url: string },
  actorIds: readonly string[],
  targetIds: readonly string[],
) {
  const before = JSON.stringify({ maxErrorRate: 0.05, p95LatencyMs: 2_000, minRequests: 100 });
  const after = JSON.stringify({ maxErrorRate: 0.02, p95LatencyMs: 1_500, minRequests: 100, note: 'tuned, "q"' });
  if (database.name === "SQLite") {
    const sqlite = new Database(sqliteFilePath(database.url));
    try {
      const insert = sqlite.prepare(
        `INSERT INTO "AuditEvent" ("id","sequence","at","actorType","actorId","action","entityType","entityId",` +
          `"targetId","before","after","reason","previousHash","hash","hashScheme") ` +
          `VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'x','x','hmac-sha256')`,
      );
      const next = (sqlite.prepare(`SELECT COALESCE(MAX("sequence"),0) AS s FROM "AuditEvent"`).get() as { s: number })
        .s;
      sqlite.transaction(() => {
        for (let i = 0; i < EVENTS; i++) {
          const actor = i % 4 === 3 ? null : (actorIds[i % actorIds.length] ?? null);
          insert.run(
            `bench_${i}`,
            next + i + 1,
            new Date(START + i * 1_000).toISOString().replace("Z", "+00:00"),
            actor ? "USER" : "SYSTEM",
            actor,
            ["policy.updated", "rollback.started", "flag.toggled", "snapshot.published"][i % 4],
            "Policy",
            `p${i % 97}`,
            targetIds[i % targetIds.length] ?? null,
            i % 2 ? before : null,
            after,
            i % 5 ? null : `Change ${i}: latency budget, "tightened"`,
          );
        }
      })();
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO "AuditEvent" ("id","sequence","at","actorType","actorId","action","entityType","entityId",
         "targetId","before","after","reason","previousHash","hash","hashScheme")
       SELECT 'bench_' || g, (SELECT COALESCE(MAX("sequence"),0) FROM "AuditEvent") + g + 1,
         timestamp '1970-01-01' + ($1::bigint + g * 1000) * interval '1 millisecond',
         CASE WHEN g % 4 = 3 THEN 'SYSTEM' ELSE 'USER' END,
         CASE WHEN g % 4 = 3 THEN NULL ELSE ($2::text[])[1 + g % cardinality($2::text[])] END,
         ($3::text[])[1 + g % 4], 'Policy', 'p' || (g % 97), ($4::text[])[1 + g % cardinality($4::text[])],
         CASE WHEN g % 2 = 1 THEN $5::jsonb END, $6::jsonb,
         CASE WHEN g % 5 = 0 THEN 'Change ' || g || ': latency budget, "tightened"' END, 'x', 'x', 'hmac-sha256'
       FROM generate_series(0, $7::int - 1) AS g`,
      [
        START,
        actorIds,
        ["policy.updated", "rollback.started", "flag.toggled", "snapshot.published"],
        targetIds,
        before,
        after,
        EVENTS,
      ],
    );
    await client.query(`ANALYZE "AuditEvent"`);
  } finally {
    await client.end();
  }
}

/** next-auth's credentials sign-in as the console's form sends it; the Cookie header of the session. */
async function signIn(baseUrl: string, email: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  keep(csrf);
  const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: header(),
      origin: baseUrl,
      "sec-fetch-site": "same-origin",
    },
    body: new URLSearchParams({ csrfToken, email, password: PASSWORD, json: "true" }),
  });
  keep(response);
  if (![...cookies.keys()].some((name) => name.includes("session-token"))) throw new Error("bench sign-in failed");
  return header();
}

/** Peak resident memory since the process started (VmHWM), MiB. */
function peakMemoryMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Reads the whole response (uncompressed, as `curl` would take it), counting bytes, keeping none. */
function download(app: BuiltApp, path: string, cookie: string): Promise<{ status: number; bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${app.baseUrl}${path}`, { headers: { cookie, "accept-encoding": "identity" } }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export async function auditExport(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    const seedStart = performance.now();
    const users = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        createUser(
          database.db,
          {
            actor: systemActor,
            email: `auditor-${i}@bench.test`,
            name: `Auditor ${i}`,
            role: "VIEWER",
            password: PASSWORD,
          },
          new Date(),
        ),
      ),
    );
    await database.db.target.createMany({
      data: Array.from({ length: 20 }, (_, i) => ({ slug: `export-bench-${i}`, name: `Export bench ${i}` })),
    });
    const targets = await database.db.target.findMany({ select: { id: true } });
    await seed(
      database,
      users.map((user) => user.id),
      targets.map((target) => target.id),
    );
    console.error(
      `  ${database.name}: seeded ${EVENTS.toLocaleString("en-US")} events in ${Math.round(performance.now() - seedStart)} ms`,
    );

    await withApp(database, async (app) => {
      const cookie = await signIn(app.baseUrl, "auditor-0@bench.test");
      // The route and its modules loaded, then a moment to settle, before the first reading.
      await download(app, "/api/export/audit?format=csv&entityType=None", cookie);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const tenth = new Date(START + (EVENTS / 10) * 1_000 - 1).toISOString();
      const runs = [
        { label: "100,000 events, CSV", query: `format=csv&to=${tenth}`, events: EVENTS / 10 },
        { label: "1,000,000 events, CSV", query: "format=csv", events: EVENTS },
        { label: "100,000 events, JSON", query: `format=json&to=${tenth}`, events: EVENTS / 10 },
        { label: "1,000,000 events, JSON", query: "format=json", events: EVENTS },
      ];
      for (const run of runs) {
        const before = residentMemoryMiB(app.pid);
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, residentMemoryMiB(app.pid))), 50);
        const result = await download(app, `/api/export/audit?${run.query}`, cookie).finally(() =>
          clearInterval(sampler),
        );
        if (result.status !== 200) throw new Error(`export answered ${result.status}`);
        const name = `audit export over HTTP, ${run.label}, ${database.name}`;
        const load = `load average ${loadavg()[0]?.toFixed(1) ?? "?"}`;
        figures.push(
          { benchmark: name, metric: "events/s", value: (run.events / result.ms) * 1_000, unit: "", note: load },
          { benchmark: name, metric: "time", value: result.ms / 1_000, unit: "s" },
          { benchmark: name, metric: "bytes", value: result.bytes / 1024 / 1024, unit: "MiB" },
          { benchmark: name, metric: "server RSS before", value: before, unit: "MiB" },
          {
            benchmark: name,
            metric: "server RSS growth, peak",
            value: peak - before,
            unit: "MiB",
            note: `sampled every 50 ms; VmHWM since start ${Math.round(peakMemoryMiB(app.pid))} MiB`,
          },
        );
      }
    });
  });
  return figures;
}
