// The layer rules of eslint.config.js fire: probe sources placed at paths in each layer are linted with the
// project's own configuration, and each forbidden import or clock read is reported while the allowed ones pass.
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const layerRules = new Set([
  "no-restricted-imports",
  "@typescript-eslint/no-restricted-imports",
  "no-restricted-syntax",
]);

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    // The probes exist only in memory, so nothing type-aware can run on them; the layer rules need no types.
    overrideConfig: [tseslint.configs.disableTypeChecked],
    ruleFilter: ({ ruleId }) => layerRules.has(ruleId),
  });
});

/** The layer-rule messages for `code` linted as if it were the file at `filePath`. */
async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  expect(result?.fatalErrorCount).toBe(0);
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

const serverOnly = 'import "server-only";\n';

describe("pages and layouts", () => {
  const page = "app/(console)/probe/page.tsx";

  it.each([
    ['import { getDb } from "@/server/db";'],
    ['import { getTargetBySlug } from "@/server/services/config/targets";'],
    ['import { getRollback } from "../../../server/services/rollbacks/rollbacks";'],
    ['import { getDb } from "../../../server/db";'],
  ])("may not import the database or services: %s", async (code) => {
    expect(await violations(page, `${code}\nexport const probe = 1;\n`)).toEqual([
      expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: .*read through tRPC/),
    ]);
  });

  it("read through the server caller, the session and the domain", async () => {
    const code = [
      'import { serverCaller } from "@/server/api/server-caller";',
      'import { requirePageUser } from "@/server/auth/session";',
      'import { hasRole } from "@/server/domain/roles";',
      'import type { Db } from "@/server/db";',
      "export const probe = [serverCaller, requirePageUser, hasRole] as unknown as Db;",
    ].join("\n");
    expect(await violations(page, code)).toEqual([]);
  });

  it("route handlers under app/api are the handler layer: they call services", async () => {
    const code = [
      'import { getDb } from "@/server/db";',
      'import { ingestMetrics } from "@/server/services/machine/ingest";',
      "export const probe = [getDb, ingestMetrics];",
    ].join("\n");
    expect(await violations("app/api/v1/probe/route.ts", code)).toEqual([]);
  });
});

describe("client components", () => {
  const component = "components/probe/probe.tsx";

  it.each([
    ['import { listTargets } from "@/server/services/config/targets";'],
    ['import { getDb } from "../../server/db";'],
    ['import { appRouter } from "@/server/api/root";'],
    ['import { requirePageUser } from "@/server/auth/session";'],
  ])("may not import server modules: %s", async (code) => {
    expect(await violations(component, `${code}\nexport const probe = 1;\n`)).toEqual([
      expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: .*Components run in the browser/),
    ]);
  });

  it("import the domain and types", async () => {
    const code = [
      'import type { AppRouter } from "@/server/api/root";',
      'import { policySchema } from "@/server/domain/policy";',
      "export const probe: AppRouter | typeof policySchema | null = null;",
    ].join("\n");
    expect(await violations(component, code)).toEqual([]);
  });
});

describe("server/domain", () => {
  const domain = "server/domain/probe.ts";

  it.each([
    ["export const at = () => new Date();", /takes time as a parameter/],
    ["export const at = () => new Date;", /takes time as a parameter/],
    ["export const at = () => Date.now();", /takes time as a parameter/],
  ])("does not read the clock: %s", async (code, message) => {
    expect(await violations(domain, code)).toEqual([expect.stringMatching(message)]);
  });

  it("builds dates from values it is given", async () => {
    const code = "export const at = (now: Date, ms: number) => [new Date(now.getTime() + ms), new Date(0)];";
    expect(await violations(domain, code)).toEqual([]);
  });

  it.each([
    ['import { getDb } from "../db";'],
    ['import { listTargets } from "../services/config/targets";'],
    ['import { createTRPCRouter } from "../api/trpc";'],
    ['import { createTRPCRouter } from "@/server/api/trpc";'],
    ['import { env } from "../env.js";'],
    ['import { PrismaClient } from "@prisma/client";'],
  ])("imports no services, database, tRPC or environment: %s", async (code) => {
    expect(await violations(domain, `${code}\nexport const probe = 1;\n`)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Domain code is pure/),
    ]);
  });

  it("imports other domain modules and libraries", async () => {
    const code = 'import { z } from "zod";\nimport { hasRole } from "./roles";\nexport const probe = [z, hasRole];\n';
    expect(await violations(domain, code)).toEqual([]);
  });
});

describe("server/services", () => {
  const service = "server/services/config/probe.ts";

  it.each([
    ['import { appRouter } from "../../api/root";'],
    ['import { createTRPCRouter } from "@/server/api/trpc";'],
    ['import { PageHeader } from "@/components/ui";'],
    ['import Page from "../../../app/(console)/page";'],
  ])("import neither tRPC nor the UI: %s", async (code) => {
    expect(await violations(service, `${serverOnly}${code}\nexport const probe = 1;\n`)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Services are called by tRPC/),
    ]);
  });

  it("open with server-only and import the database, the domain and other services", async () => {
    const code = [
      serverOnly,
      'import type { Db } from "../../db";',
      'import { AppError } from "../../domain/errors";',
      'import { appendAudit } from "../audit/audit-log";',
      "export const probe = [AppError, appendAudit] as unknown as Db;",
    ].join("\n");
    expect(await violations(service, code)).toEqual([]);
  });
});

describe('import "server-only"', () => {
  it.each([
    ["server/services/config/probe.ts"],
    ["server/api/routers/probe.ts"],
    ["server/api/probe.ts"],
    ["server/auth/probe.ts"],
    ["server/db/index.ts"],
  ])("opens every server module: %s", async (filePath) => {
    expect(await violations(filePath, "export const probe = 1;\n")).toEqual([
      expect.stringMatching(/^no-restricted-syntax: Server code opens with import "server-only"/),
    ]);
    expect(await violations(filePath, `${serverOnly}export const probe = 1;\n`)).toEqual([]);
  });

  it("is not required where no react-server condition applies: the domain, and what the Prisma CLI loads", async () => {
    for (const filePath of ["server/domain/probe.ts", "server/db/url.ts", "server/db/migrate-adapters.ts"]) {
      expect(await violations(filePath, "export const probe = 1;\n")).toEqual([]);
    }
  });
});
