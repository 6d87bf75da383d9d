"use client";
// The audit log's filters. Choices come from what the log holds (audit.facets); applying one changes the URL.
import { useState, type FormEvent } from "react";
import { auditFilterSchema, type AuditFilter } from "@/server/domain/audit";
import { Button, FieldError, inputClass } from "../ui";
import type { AuditFacetsView } from "./audit-format";
import { fromLocalInput, toLocalInput } from "./audit-params";

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
};

/** The actor select's value: "", a type ("SYSTEM", "USER", "API_KEY") or "USER:<id>" / "API_KEY:<id>". */
function actorValue(filter: AuditFilter): string {
  if (filter.actorId) return `${filter.actorType ?? "USER"}:${filter.actorId}`;
  return filter.actorType ?? "";
}

function actorFilter(value: string): Pick<AuditFilter, "actorType" | "actorId"> {
  if (!value) return {};
  const [type, ...rest] = value.split(":");
  const id = rest.join(":");
  const actorType = type as AuditFilter["actorType"];
  return id ? { actorType, actorId: id } : { actorType };
}

/** "flag.enabled" → "flag": actions grouped by what they act on. */
function groupActions(actions: readonly string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const action of actions) {
    const prefix = action.includes(".") ? action.slice(0, action.indexOf(".")) : action;
    groups.set(prefix, [...(groups.get(prefix) ?? []), action]);
  }
  return [...groups.entries()];
}

export function AuditFilters({
  filter,
  facets,
  targets,
  onApply,
  onClear,
}: {
  filter: AuditFilter;
  facets: AuditFacetsView | undefined;
  targets: readonly { id: string; name: string; slug: string }[];
  onApply: (filter: AuditFilter) => void;
  onClear: () => void;
}) {
  const [issues, setIssues] = useState<Record<string, string>>({});
  const actions = facets?.actions.map((row) => row.action) ?? [];
  const entityTypes = facets?.entityTypes.map((row) => row.entityType) ?? [];
  // A value from the URL that the facets do not list (yet) stays selectable.
  if (filter.action && !actions.includes(filter.action) && !filter.action.endsWith(".")) actions.push(filter.action);
  if (filter.entityType && !entityTypes.includes(filter.entityType)) entityTypes.push(filter.entityType);
  const actor = actorValue(filter);
  const knownActor = !filter.actorId || facets?.actors.some((row) => row.id === filter.actorId);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const candidate: AuditFilter = {
      ...actorFilter(text(form, "actor")),
      ...(text(form, "action") && { action: text(form, "action") }),
      ...(text(form, "entityType") && { entityType: text(form, "entityType") }),
      ...(text(form, "entityId") && { entityId: text(form, "entityId") }),
      ...(text(form, "targetId") && { targetId: text(form, "targetId") }),
      ...(fromLocalInput(text(form, "from"), false) && { from: fromLocalInput(text(form, "from"), false) }),
      ...(fromLocalInput(text(form, "to"), true) && { to: fromLocalInput(text(form, "to"), true) }),
    };
    const parsed = auditFilterSchema.safeParse(candidate);
    if (!parsed.success) {
      const next: Record<string, string> = {};
      for (const issue of parsed.error.issues) next[issue.path.join(".") || "_"] ??= issue.message;
      setIssues(next);
      return;
    }
    setIssues({});
    onApply(candidate);
  }

  const label = (htmlFor: string, children: string) => (
    <label htmlFor={htmlFor} className="mb-1 block text-sm font-medium">
      {children}
    </label>
  );

  return (
    <form
      role="search"
      aria-label="Filter the audit log"
      noValidate
      onSubmit={onSubmit}
      className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 md:grid-cols-3 lg:grid-cols-4"
    >
      <div>
        {label("audit-action", "Action")}
        <select id="audit-action" name="action" defaultValue={filter.action ?? ""} className={inputClass}>
          <option value="">Any action</option>
          {groupActions(actions).map(([prefix, group]) => (
            <optgroup key={prefix} label={prefix}>
              <option value={`${prefix}.`}>Every {prefix} action</option>
              {group.map((action) => (
                <option key={action} value={action}>
                  {action}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div>
        {label("audit-entity-type", "Entity type")}
        <select id="audit-entity-type" name="entityType" defaultValue={filter.entityType ?? ""} className={inputClass}>
          <option value="">Any entity</option>
          {entityTypes.map((entityType) => (
            <option key={entityType} value={entityType}>
              {entityType}
            </option>
          ))}
        </select>
      </div>
      <div>
        {label("audit-actor", "Actor")}
        <select id="audit-actor" name="actor" defaultValue={actor} className={inputClass}>
          <option value="">Anyone</option>
          <option value="USER">Any person</option>
          <option value="API_KEY">Any API key</option>
          <option value="SYSTEM">Rewind (automatic)</option>
          {!knownActor ? <option value={actor}>{filter.actorId}</option> : null}
          {facets?.actors.some((row) => row.type === "USER") ? (
            <optgroup label="People">
              {facets.actors
                .filter((row) => row.type === "USER")
                .map((row) => (
                  <option key={row.id} value={`USER:${row.id}`}>
                    {row.name ? `${row.name} (${row.email})` : `Unknown user ${row.id}`}
                  </option>
                ))}
            </optgroup>
          ) : null}
          {facets?.actors.some((row) => row.type === "API_KEY") ? (
            <optgroup label="API keys">
              {facets.actors
                .filter((row) => row.type === "API_KEY")
                .map((row) => (
                  <option key={row.id} value={`API_KEY:${row.id}`}>
                    {row.name ?? `Deleted key ${row.id}`}
                  </option>
                ))}
            </optgroup>
          ) : null}
        </select>
      </div>
      <div>
        {label("audit-target", "Target")}
        <select id="audit-target" name="targetId" defaultValue={filter.targetId ?? ""} className={inputClass}>
          <option value="">Any target</option>
          {filter.targetId && !targets.some((target) => target.id === filter.targetId) ? (
            <option value={filter.targetId}>{filter.targetId}</option>
          ) : null}
          {targets.map((target) => (
            <option key={target.id} value={target.id}>
              {target.name} ({target.slug})
            </option>
          ))}
        </select>
      </div>
      <div>
        {label("audit-entity-id", "Entity id")}
        <input
          id="audit-entity-id"
          name="entityId"
          defaultValue={filter.entityId ?? ""}
          autoComplete="off"
          spellCheck={false}
          className={`${inputClass} font-mono`}
        />
      </div>
      <div>
        {label("audit-from", "From")}
        <input
          id="audit-from"
          name="from"
          type="datetime-local"
          defaultValue={toLocalInput(filter.from)}
          className={inputClass}
        />
      </div>
      <div>
        {label("audit-to", "To")}
        <input
          id="audit-to"
          name="to"
          type="datetime-local"
          defaultValue={toLocalInput(filter.to)}
          className={inputClass}
          aria-invalid={Boolean(issues.to)}
          aria-describedby={issues.to ? "audit-to-error" : undefined}
        />
        <FieldError id="audit-to-error" message={issues.to} />
      </div>
      <div className="flex items-end gap-2">
        <Button type="submit">Apply filters</Button>
        <Button tone="secondary" onClick={onClear}>
          Clear
        </Button>
      </div>
      {issues._ ? <FieldError id="audit-filter-error" message={issues._} /> : null}
    </form>
  );
}
