// The console's file exports as route handlers (app/api/export/*): the signed-in user's session and role, the
// query's parameters (each once, unknown ones refused by name), and the service's text streamed as the client
// reads it, so a million rows cost the memory of a page or two. Errors answer as every route's do (http.ts).
import "server-only";
import { getCurrentUser } from "../auth/session";
import { getDb, type Db } from "../db";
import { AppError, type FieldIssues } from "../domain/errors";
import type { ExportFormat } from "../domain/export-stream";
import { hasRole, type RoleName } from "../domain/roles";
import { addLogContext, currentRequestId, log, withRequestLog } from "../services/platform/log";
import { errorResponse } from "./http";

const contentTypes: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
};

/** "rewind-audit-20270501T143005Z.csv": when the export began, in UTC (the server does not know the reader's zone). */
export function exportFileName(what: string, format: ExportFormat, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `rewind-${what}-${stamp}.${format}`;
}

/**
 * The query as an object of single values: a parameter given twice, or one the export does not take, is refused
 * by its name, so a misspelt filter never exports everything.
 */
export function queryParameters(params: URLSearchParams, known: readonly string[]): Record<string, string> {
  const query: Record<string, string> = {};
  const issues: FieldIssues = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (!known.includes(name)) issues[name] = `Unknown parameter: the export takes ${known.join(", ")}`;
    else if (values.length > 1) issues[name] = `Give ${name} once`;
    else query[name] = values[0] ?? "";
  }
  const refused = Object.entries(issues);
  if (refused.length > 0) {
    const summary = refused.map(([name, message]) => `${name}: ${message}`).join("; ");
    throw new AppError("VALIDATION", `Invalid input: ${summary}`, { issues });
  }
  return query;
}

/**
 * Pulls a chunk only when the client has taken the one before (the stream's queue holds one), so a slow reader
 * slows the reading of pages instead of filling memory. A failure after the headers went out cuts the response
 * off: the browser reports the download failed rather than keeping a file that looks whole.
 */
function streamOf(
  first: IteratorResult<string>,
  chunks: AsyncGenerator<string>,
  context: { requestId: string | undefined; request: string },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pending: IteratorResult<string> | null = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = pending ?? (await chunks.next());
          pending = null;
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          log.error("export.failed", { ...context, error });
          controller.error(error);
        }
      },
      async cancel() {
        // The client went away: stop reading pages.
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * A GET handler for one export: `role` as the procedures it replaces required, `parameters` the query names it
 * takes, `open` the service call that checks them and returns its chunks (nothing read yet).
 */
export function exportRoute<Input>(options: {
  what: string;
  role: RoleName;
  parameters: readonly string[];
  open: (db: Db, input: Input) => { format: ExportFormat; chunks: AsyncGenerator<string> };
}) {
  const handle = async (request: Request): Promise<Response> => {
    const now = new Date();
    const context = `${request.method} ${new URL(request.url).pathname}`;
    try {
      const user = await getCurrentUser();
      if (!user) throw new AppError("UNAUTHORIZED", "Sign in to export");
      addLogContext({ caller: `user:${user.id}` });
      if (!hasRole(user.role, options.role)) {
        throw new AppError("FORBIDDEN", `Exporting needs the ${options.role.toLowerCase()} role`);
      }
      const query = queryParameters(new URL(request.url).searchParams, options.parameters);
      // Strings as the query has them: the service validates its input (parseInput), whoever calls it.
      const { format, chunks } = options.open(getDb(), query as Input);
      // The first page is read before answering: a failure there is still an error response, not a cut file.
      const first = await chunks.next();
      const body = streamOf(first, chunks, { requestId: currentRequestId(), request: context });
      return new Response(body, {
        headers: {
          "Content-Type": contentTypes[format],
          "Content-Disposition": `attachment; filename="${exportFileName(options.what, format, now)}"`,
          "Cache-Control": "no-store",
        },
      });
    } catch (error) {
      return errorResponse(error, now, context);
    }
  };
  return (request: Request): Promise<Response> => withRequestLog(request, () => handle(request));
}
