// A JSON schema of the OpenAPI document as a nested list of fields (name, type, required, description), with
// component references followed to a bounded depth, so a reader sees a request's or response's shape at a glance.
import type { ReactNode } from "react";

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
};

/** Deep enough for every response (rollback detail → step checks → arms); beyond it the component is named. */
const MAX_DEPTH = 6;

function refName(ref: string): string {
  return ref.split("/").at(-1) ?? ref;
}

function typeLabel(schema: JsonSchema, components: Record<string, JsonSchema>): string {
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map((alternative) => typeLabel(alternative, components)).join(" | ");
  const types = [schema.type ?? "any"].flat();
  return types
    .map((type) => (type === "array" && schema.items ? `${typeLabel(schema.items, components)}[]` : type))
    .map((type) => (type === "string" && schema.format ? `string (${schema.format})` : type))
    .join(" | ");
}

/** The object (or object inside an array, a nullable or a reference) whose fields are worth listing. */
function fieldsOf(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  seen: readonly string[],
): JsonSchema | null {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    const target = components[name];
    return target && !seen.includes(name) ? fieldsOf(target, components, [...seen, name]) : null;
  }
  if (schema.properties) return schema;
  if (schema.items) return fieldsOf(schema.items, components, seen);
  const alternatives = (schema.anyOf ?? schema.oneOf ?? []).filter((alternative) => alternative.type !== "null");
  return alternatives.length === 1 && alternatives[0] ? fieldsOf(alternatives[0], components, seen) : null;
}

export function SchemaOutline({
  schema,
  components,
  depth = 0,
}: {
  schema: JsonSchema;
  components: Record<string, JsonSchema>;
  depth?: number;
}): ReactNode {
  const object = fieldsOf(schema, components, []);
  if (!object?.properties || depth >= MAX_DEPTH) {
    return <code className="font-mono text-xs text-slate-700">{typeLabel(schema, components)}</code>;
  }
  const required = new Set(object.required ?? []);
  return (
    <ul className={depth === 0 ? "space-y-1" : "mt-1 space-y-1 border-l border-slate-200 pl-4"}>
      {Object.entries(object.properties).map(([name, field]) => (
        <li key={name} className="text-sm">
          <code className="font-mono font-medium">{name}</code>
          {required.has(name) ? null : <span className="text-slate-500">?</span>}{" "}
          <code className="font-mono text-xs text-slate-600">{typeLabel(field, components)}</code>
          {field.description ? <span className="text-slate-600"> — {field.description}</span> : null}
          {fieldsOf(field, components, []) ? (
            <SchemaOutline schema={field} components={components} depth={depth + 1} />
          ) : null}
        </li>
      ))}
    </ul>
  );
}
