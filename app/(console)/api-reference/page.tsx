// The API reference: the OpenAPI document (server/api/openapi) rendered by tag, one card per operation with its
// authentication, parameters, request and response outlines and examples. Any signed-in role may read it.
import type { Metadata } from "next";
import { Badge, Card, PageHeader, type StatusTone } from "@/components/ui";
import { openApiDocument } from "@/server/api/openapi/document";
import { requirePageUser } from "@/server/auth/session";
import { SchemaOutline, type JsonSchema } from "./schema-outline";

export const metadata: Metadata = { title: "API reference" };

interface MediaType {
  schema?: JsonSchema;
  example?: unknown;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
  "x-rewind-auth"?: string;
  "x-rewind-scope"?: string;
  "x-rewind-planned"?: boolean;
}

const METHODS = ["get", "post", "put", "delete", "options"] as const;

const methodTones: Record<(typeof METHODS)[number], StatusTone> = {
  get: "info",
  post: "good",
  put: "warning",
  delete: "bad",
  options: "neutral",
};

const authText: Record<string, string> = {
  signed: "API key (Authorization: Bearer) + X-Rewind-Signature when the key signs",
  key: "API key (Authorization: Bearer)",
  keyAnyHeader: "API key (Authorization: Bearer or X-API-Key), never signed",
  sns: "No key: the SNS message signature",
  slack: "No key: X-Slack-Signature and X-Slack-Request-Timestamp",
  none: "Public",
};

function anchorOf(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "");
}

function Example({ value }: { value: unknown }) {
  return (
    <pre className="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100">
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Body({ content, components }: { content: Record<string, MediaType>; components: Record<string, JsonSchema> }) {
  const [jsonType, json] = Object.entries(content).find(([type]) => type !== "application/x-protobuf") ?? [];
  return (
    <div className="mt-1">
      <p className="text-xs text-slate-500">{Object.keys(content).join(", ")}</p>
      {json?.schema ? <SchemaOutline schema={json.schema} components={components} /> : null}
      {json?.example !== undefined ? (
        <details className="mt-1">
          <summary className="cursor-pointer text-xs text-indigo-700">Example ({jsonType})</summary>
          <Example value={json.example} />
        </details>
      ) : null}
    </div>
  );
}

function OperationCard({
  method,
  path,
  operation,
  components,
}: {
  method: (typeof METHODS)[number];
  path: string;
  operation: Operation;
  components: Record<string, JsonSchema>;
}) {
  const parameters = operation.parameters ?? [];
  return (
    <Card className="space-y-3">
      <div id={anchorOf(method, path)} className="flex flex-wrap items-center gap-2">
        <Badge tone={methodTones[method]}>{method.toUpperCase()}</Badge>
        <code className="font-mono text-sm font-semibold">{path}</code>
        {operation["x-rewind-planned"] ? <Badge tone="warning">planned</Badge> : null}
      </div>
      <p className="text-sm">{operation.summary}</p>
      {operation.description ? <p className="text-sm text-slate-600">{operation.description}</p> : null}
      <p className="text-sm">
        <span className="font-medium">Auth: </span>
        {authText[operation["x-rewind-auth"] ?? "none"]}
        {operation["x-rewind-scope"] ? (
          <>
            {", scope "}
            <code className="font-mono">{operation["x-rewind-scope"]}</code>
          </>
        ) : null}
      </p>
      {parameters.length > 0 ? (
        <div>
          <h4 className="text-sm font-medium">Parameters</h4>
          <ul className="space-y-1">
            {parameters.map((parameter) => (
              <li key={`${parameter.in}-${parameter.name}`} className="text-sm">
                <code className="font-mono font-medium">{parameter.name}</code>{" "}
                <span className="text-xs text-slate-500">
                  {parameter.in}
                  {parameter.required ? ", required" : ""}
                </span>
                {parameter.description ? <span className="text-slate-600"> — {parameter.description}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {operation.requestBody?.content ? (
        <div>
          <h4 className="text-sm font-medium">Request body</h4>
          <Body content={operation.requestBody.content} components={components} />
        </div>
      ) : null}
      <div>
        <h4 className="text-sm font-medium">Responses</h4>
        <ul className="mt-1 space-y-2">
          {Object.entries(operation.responses ?? {}).map(([status, response]) => (
            <li key={status} className="text-sm">
              <Badge tone={Number(status) < 400 ? "good" : "bad"}>{status}</Badge>{" "}
              <span className="text-slate-700">{response.description}</span>
              {/* Success bodies in full; refusals share the Error schema, named once. */}
              {response.content && Number(status) < 400 ? (
                <Body content={response.content} components={components} />
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </Card>
  );
}

export default async function ApiReferencePage() {
  await requirePageUser("VIEWER");
  const document = openApiDocument();
  const components = (document.components?.schemas ?? {}) as Record<string, JsonSchema>;
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = (item as Partial<Record<string, Operation>>)[method];
      return operation ? [{ method, path, operation }] : [];
    }),
  );
  return (
    <>
      <PageHeader
        title="API reference"
        description="Every machine API route, intake, integration callback and OpenFeature endpoint, generated from the schemas the handlers validate with."
      />
      <p className="mb-4 text-sm text-slate-700">
        The raw OpenAPI 3.1 document:{" "}
        <a className="font-mono text-indigo-700 underline" href="/api/v1/openapi.json">
          /api/v1/openapi.json
        </a>{" "}
        (generate a typed client from it with <code className="font-mono">npx openapi-typescript</code>; docs/API.md).
        Refusals of <code className="font-mono">/api/v1</code> share one body,{" "}
        <code className="font-mono">{"{ error: { code, message, issues? } }"}</code>, with{" "}
        <code className="font-mono">issues</code> keyed by field path.
      </p>
      <nav aria-label="API sections" className="mb-6 flex flex-wrap gap-2 text-sm">
        {(document.tags ?? []).map((tag) => (
          <a key={tag.name} href={`#tag-${anchorOf("", tag.name)}`} className="text-indigo-700 underline">
            {tag.name}
          </a>
        ))}
      </nav>
      <div className="space-y-10">
        {(document.tags ?? []).map((tag) => {
          const tagged = operations.filter(({ operation }) => operation.tags?.includes(tag.name));
          if (tagged.length === 0) return null;
          return (
            <section key={tag.name} aria-labelledby={`tag-${anchorOf("", tag.name)}`} className="space-y-4">
              <div>
                <h2 id={`tag-${anchorOf("", tag.name)}`} className="text-lg font-semibold">
                  {tag.name}
                </h2>
                {tag.description ? <p className="text-sm text-slate-600">{tag.description}</p> : null}
              </div>
              {tagged.map(({ method, path, operation }) => (
                <OperationCard
                  key={`${method} ${path}`}
                  method={method}
                  path={path}
                  operation={operation}
                  components={components}
                />
              ))}
            </section>
          );
        })}
      </div>
    </>
  );
}
