// The OpenAPI document (server/api/openapi, GET /api/v1/openapi.json): valid OpenAPI 3.1; an entry for every route
// file, so a route added without one fails here; and complete enough that a client generated from it with
// openapi-typescript compiles against a scenario and drives it through openapi-fetch.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Validator } from "@seriousme/openapi-schema-validator";
import createClient from "openapi-fetch";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signRequest } from "@/server/domain/api-keys";
import { api, makeKey, testDb, uniqueSlug } from "./helpers";
import { signIn } from "./session";

const root = path.resolve(import.meta.dirname, "../..");
/** Route files live here. */
const ROUTE_DIRS = ["app/api/v1", "app/api/integrations", "app/api/otlp", "app/ofrep"];
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

type Operation = Record<string, unknown>;
type Document = OpenAPI3 & { paths: Record<string, Record<string, Operation>> };

let document: Document;

beforeAll(async () => {
  const response = await api("GET", "/api/v1/openapi.json");
  expect(response.status).toBe(200);
  document = response.body as Document;
});

describe("GET /api/v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document, public and cacheable", async () => {
    const response = await api("GET", "/api/v1/openapi.json");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toMatch(/public/);
    const etag = response.headers.get("etag");
    expect(etag).toBeTruthy();
    expect((await api("GET", "/api/v1/openapi.json", { headers: { "If-None-Match": etag! } })).status).toBe(304);

    const validator = new Validator();
    // A copy: the validator resolves references in what it is given, and the other tests read `document`.
    const result = await validator.validate(structuredClone(response.body) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it("shares one error schema, with issues by field path, and names the security schemes", () => {
    const schemas = document.components?.schemas ?? {};
    expect(schemas.Error).toMatchObject({ properties: { error: { properties: { issues: {} } } } });
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(
      expect.arrayContaining(["apiKey", "apiKeyHeader", "rewindSignature"]),
    );
    const refusal = (document.paths["/api/v1/targets/{slug}/policy"]?.put as { responses: Record<string, unknown> })
      .responses["422"];
    expect(refusal).toMatchObject({
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
  });
});

describe("the console's API reference", () => {
  const db = testDb();

  it("renders the document by tag for any signed-in role, with a link to the raw JSON", async () => {
    const session = await signIn(db, "VIEWER");
    const response = await fetch(`${inject("baseUrl")}/api-reference`, { headers: { cookie: session.cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("API reference");
    expect(html).toContain('href="/api/v1/openapi.json"');
    for (const text of ["Config as code", "/api/v1/targets/{slug}/policy", "policies:write", "maxErrorRate"]) {
      expect(html).toContain(text);
    }
  });
});

/** `app/api/v1/targets/[slug]/route.ts` → `/api/v1/targets/{slug}`; route groups `(name)` are not in the URL. */
function urlPathOf(file: string): string {
  const segments = path
    .relative(path.join(root, "app"), path.dirname(file))
    .split(path.sep)
    .filter((segment) => !/^\(.*\)$/.test(segment))
    .map((segment) => segment.replace(/^\[(.+)\]$/, "{$1}"));
  return `/${segments.join("/")}`;
}

/** The HTTP methods a route file exports: `export const GET`, `export function POST`, `export { GET, POST }`. */
function exportedMethods(source: string): string[] {
  const methods = new Set<string>();
  for (const match of source.matchAll(/export\s+(?:const|let|(?:async\s+)?function)\s+([A-Z]+)\b/g))
    methods.add(match[1]!);
  for (const match of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const name of match[1]!.split(","))
      methods.add(
        name
          .trim()
          .split(/\s+as\s+/)
          .at(-1)!
          .trim(),
      );
  }
  return [...methods].filter((name) => HTTP_METHODS.includes(name));
}

async function routeFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ROUTE_DIRS) {
    const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (entry.isFile() && entry.name === "route.ts") files.push(path.join(entry.parentPath, entry.name));
    }
  }
  return files;
}

describe("route coverage", () => {
  it("describes every method of every route file", async () => {
    const files = await routeFiles();
    expect(files.length).toBeGreaterThan(10);
    const undocumented: string[] = [];
    for (const file of files) {
      const methods = exportedMethods(await readFile(file, "utf8"));
      expect(methods, `${file} exports no HTTP method`).not.toEqual([]);
      const urlPath = urlPathOf(file);
      for (const method of methods) {
        if (!document.paths[urlPath]?.[method.toLowerCase()]) undocumented.push(`${method} ${urlPath}`);
      }
    }
    // An entry in server/api/openapi/routes/ is what each of these needs.
    expect(undocumented).toEqual([]);
  });

  it("has a route file for every operation it describes", async () => {
    const served = new Set<string>();
    for (const file of await routeFiles()) {
      for (const method of exportedMethods(await readFile(file, "utf8"))) served.add(`${method} ${urlPathOf(file)}`);
    }
    const unserved = Object.entries(document.paths).flatMap(([urlPath, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method.toUpperCase()))
        .map(([method]) => `${method.toUpperCase()} ${urlPath}`)
        .filter((operation) => !served.has(operation)),
    );
    expect(unserved).toEqual([]);
  });
});

/**
 * The typed client scenario. It is compiled with `tsc --noEmit` against the types generated from the served
 * document, in a temporary project, then run. Why not a file in the repository importing the generated types:
 * `npm run typecheck` would then depend on a file only this test writes (missing on a fresh checkout, stale after
 * an API change); a temporary project keeps the generated output out of the tree and still fails this test when
 * the document stops describing what the scenario does. The `@ts-expect-error` line proves the types are real:
 * if the document lost its paths (every call `any`), tsc would report the directive unused.
 */
const SCENARIO = `
import type createClient from "openapi-fetch";
import type { paths } from "./openapi";

export interface ScenarioInput {
  createClient: typeof createClient;
  baseUrl: string;
  key: string;
  secret: string;
  sign: (secret: string, timestampSeconds: number, rawBody: string) => string;
  slug: string;
}

export async function scenario({ createClient, baseUrl, key, secret, sign, slug }: ScenarioInput) {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${key}\` } });
  // Requests with a body are signed over the exact bytes sent (docs/API.md "Signatures").
  client.use({
    async onRequest({ request }) {
      if (request.method === "GET") return request;
      const body = await request.clone().text();
      request.headers.set("X-Rewind-Signature", sign(secret, Math.floor(Date.now() / 1000), body));
      return request;
    },
  });
  const path = { slug };
  const target = await client.PUT("/api/v1/targets/{slug}", { params: { path }, body: { name: "OpenAPI scenario" } });
  const policy = await client.PUT("/api/v1/targets/{slug}/policy", {
    params: { path },
    body: { maxErrorRate: 0.02, steps: [50, 100] },
  });
  const snapshot = await client.POST("/api/v1/targets/{slug}/snapshots", {
    params: { path },
    body: { label: "v1", config: { model: "gpt-4o" } },
  });
  const config = await client.GET("/api/v1/targets/{slug}/config", { params: { path } });
  const status = await client.GET("/api/v1/targets/{slug}/status", { params: { path } });
  const rollbacks = await client.GET("/api/v1/rollbacks", { params: { query: { target: slug, limit: "10" } } });
  const refused = await client.PUT("/api/v1/targets/{slug}/policy", { params: { path }, body: { maxErrorRate: 2 } });
  const created: boolean | undefined = target.data?.created;
  const refusedIssues: Record<string, string> | undefined = refused.error?.error.issues;
  return {
    targetStatus: target.response.status,
    created,
    policyVersion: policy.data?.version,
    steps: policy.data?.policy.steps,
    snapshotVersion: snapshot.data?.version,
    configVersion: config.data?.snapshot?.version,
    statusSlug: status.data?.target.slug,
    rollbacks: rollbacks.data?.items.length,
    refusedStatus: refused.response.status,
    refusedCode: refused.error?.error.code,
    refusedIssues,
  };
}

export function misspelt(client: ReturnType<typeof createClient<paths>>) {
  // @ts-expect-error: a path the document does not have does not compile.
  return client.GET("/api/v1/target/{slug}/config");
}
`;

describe("a typed client generated from the document", () => {
  const db = testDb();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "rewind-openapi-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("compiles against the scenario and drives it, refusals keyed by field path", { timeout: 180_000 }, async () => {
    // defaultNonNullable off: a request field with a default is optional to send (openapi-typescript would
    // otherwise require it, as for a response); docs/API.md gives the CLI the same flag.
    const types = await openapiTS(document, { defaultNonNullable: false });
    await writeFile(path.join(dir, "openapi.d.ts"), astToString(types));
    await writeFile(path.join(dir, "scenario.ts"), SCENARIO);
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          target: "ES2022",
          lib: ["ES2023", "DOM", "DOM.Iterable"],
          module: "esnext",
          moduleResolution: "bundler",
          skipLibCheck: true,
          types: [],
          // The temporary project has no node_modules: the client's types are the repository's.
          paths: { "openapi-fetch": [path.join(root, "node_modules/openapi-fetch/dist/index.d.mts")] },
        },
        files: ["scenario.ts", "openapi.d.ts"],
      }),
    );
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    const compiled = await promisify(execFile)(process.execPath, [tsc, "-p", dir]).then(
      () => "",
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(compiled).toBe("");

    const key = await makeKey(db, { scopes: ["policies:write", "snapshots:write", "config:read", "rollbacks:read"] });
    const slug = uniqueSlug("openapi");
    const { scenario } = (await import(path.join(dir, "scenario.ts"))) as {
      scenario: (input: Record<string, unknown>) => Promise<Record<string, unknown>>;
    };
    const result = await scenario({
      createClient,
      baseUrl: inject("baseUrl"),
      key: key.key,
      secret: key.secret,
      sign: signRequest,
      slug,
    });
    expect(result).toEqual({
      targetStatus: 201,
      created: true,
      policyVersion: 1,
      steps: [50, 100],
      snapshotVersion: 1,
      configVersion: 1,
      statusSlug: slug,
      rollbacks: 0,
      refusedStatus: 422,
      refusedCode: "VALIDATION",
      refusedIssues: { maxErrorRate: expect.stringMatching(/at most 1/) },
    });
  });
});
