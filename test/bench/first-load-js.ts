// First-load JavaScript of each page of a production build. `next build` (16, Turbopack) no longer prints the
// sizes, so they are read from its manifests: the root main files every page loads, plus the entry chunks of
// the page and its layouts (`entryJSFiles` of the page's client reference manifest), each counted once.
// Run after a build: `NEXT_DIST_DIR=.next-x npx next build && NEXT_DIST_DIR=.next-x npm run bench -- --only first-load-js`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import type { Figure } from "./lib";

interface ClientManifest {
  entryJSFiles?: Record<string, string[]>;
}

function manifestsUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    if (statSync(file).isDirectory()) return manifestsUnder(file);
    return name === "page_client-reference-manifest.js" ? [file] : [];
  });
}

/** "/(console)/rollbacks/[id]/page" → "/rollbacks/[id]". */
function routeOf(entry: string): string {
  return entry.replace(/\/page$/, "").replace(/\/\([^)]+\)/g, "") || "/";
}

export function firstLoadJs(): Figure[] {
  const distDir = path.resolve(process.env.NEXT_DIST_DIR ?? ".next");
  const buildManifest = path.join(distDir, "build-manifest.json");
  if (!existsSync(buildManifest)) throw new Error(`No production build in ${distDir}: run next build first`);
  const { rootMainFiles } = JSON.parse(readFileSync(buildManifest, "utf8")) as { rootMainFiles: string[] };
  const sizes = new Map<string, { raw: number; gzip: number }>();
  const sizeOf = (file: string) => {
    let size = sizes.get(file);
    if (!size) {
      const bytes = readFileSync(path.join(distDir, file));
      size = { raw: bytes.length, gzip: gzipSync(bytes).length };
      sizes.set(file, size);
    }
    return size;
  };

  const figures: Figure[] = [];
  for (const file of manifestsUnder(path.join(distDir, "server", "app")).sort()) {
    // The manifest is a script that assigns globalThis.__RSC_MANIFEST[entry]: run it in a context of its own.
    const sandbox: { __RSC_MANIFEST?: Record<string, ClientManifest> } = {};
    runInNewContext(readFileSync(file, "utf8"), sandbox);
    for (const [entry, manifest] of Object.entries(sandbox.__RSC_MANIFEST ?? {})) {
      if (entry.startsWith("/_")) continue;
      const ownEntries = Object.entries(manifest.entryJSFiles ?? {}).filter(
        ([segment]) => segment.startsWith("[project]/app/") && /\/(layout|page)$/.test(segment),
      );
      const files = new Set([...rootMainFiles, ...ownEntries.flatMap(([, chunks]) => chunks)]);
      const total = [...files].reduce(
        (sum, chunk) => {
          const size = sizeOf(chunk);
          return { raw: sum.raw + size.raw, gzip: sum.gzip + size.gzip };
        },
        { raw: 0, gzip: 0 },
      );
      const benchmark = `first-load JS, ${routeOf(entry)}`;
      figures.push(
        { benchmark, metric: "gzip", value: total.gzip / 1024, unit: "KiB" },
        { benchmark, metric: "raw", value: total.raw / 1024, unit: "KiB", note: `${files.size} files` },
      );
    }
  }
  return figures;
}
