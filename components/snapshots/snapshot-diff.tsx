"use client";
// Two snapshots of a target side by side: each config as JSON with the lines a change touches marked by a
// symbol and a colour (+ added, − removed, ~ changed), and the same changes as a table for screen readers.
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import type { JsonValue } from "@/server/domain/canonical-json";
import type { ConfigChange } from "@/server/domain/snapshots";
import { DataTable } from "../data-table";
import { shortChecksum } from "../format";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, QueryError, Skeleton } from "../ui";
import { formatPath, jsonLines, type ChangeKind } from "./json-lines";

export interface SnapshotOption {
  id: string;
  version: number;
  label: string | null;
  isCurrent: boolean;
}

const KIND_STYLE: Record<ChangeKind, { symbol: string; word: string; line: string; tone: "good" | "bad" | "warning" }> =
  {
    added: { symbol: "+", word: "Added", line: "bg-emerald-50 text-emerald-950", tone: "good" },
    removed: { symbol: "−", word: "Removed", line: "bg-red-50 text-red-950", tone: "bad" },
    changed: { symbol: "~", word: "Changed", line: "bg-amber-50 text-amber-950", tone: "warning" },
  };

const optionLabel = (option: SnapshotOption) =>
  `v${option.version}${option.label ? ` · ${option.label}` : ""}${option.isCurrent ? " (current)" : ""}`;

function preview(value: JsonValue | undefined): string {
  if (value === undefined) return "—";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export function SnapshotDiff({
  targetId,
  options,
  fromId,
  toId,
  onChange,
}: {
  targetId: string;
  options: SnapshotOption[];
  fromId: string;
  toId: string;
  onChange: (next: { fromId: string; toId: string }) => void;
}) {
  const trpc = useTRPC();
  const ids = { heading: useId(), from: useId(), to: useId() };
  const same = fromId === toId;
  const diff = useQuery(trpc.snapshots.diff.queryOptions({ targetId, fromId, toId }, { enabled: !same }));
  const from = useQuery(trpc.snapshots.byId.queryOptions({ snapshotId: fromId }, { staleTime: Infinity }));
  const to = useQuery(trpc.snapshots.byId.queryOptions({ snapshotId: toId }, { staleTime: Infinity }));
  const changes = diff.data?.changes ?? [];
  const counts = (kind: ChangeKind) => changes.filter((change) => change.kind === kind).length;

  const select = (id: string, label: string, value: string, onSelect: (value: string) => void) => (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onSelect(event.target.value)}
        className="mt-1 min-w-56 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
      >
        {options.map((option) => (
          <option key={option.id} value={option.id}>
            {optionLabel(option)}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <Card className="mt-8">
      <h2 id={ids.heading} className="text-lg font-medium">
        Compare snapshots
      </h2>
      <div className="mt-3 flex flex-wrap items-end gap-3">
        {select(ids.from, "A (before)", fromId, (value) => onChange({ fromId: value, toId }))}
        <Button tone="secondary" onClick={() => onChange({ fromId: toId, toId: fromId })}>
          Swap A and B
        </Button>
        {select(ids.to, "B (after)", toId, (value) => onChange({ fromId, toId: value }))}
      </div>

      <div className="mt-4" aria-live="polite">
        {same ? (
          <p className="text-sm text-slate-700">Choose two different snapshots to see what changed.</p>
        ) : diff.isError ? (
          <QueryError error={diff.error} what="the diff" />
        ) : diff.isPending ? (
          <Skeleton className="h-6 w-64" label="Loading the diff" />
        ) : changes.length === 0 ? (
          <p className="text-sm text-slate-700">The two configurations are identical.</p>
        ) : (
          <p className="text-sm font-medium">
            {changes.length === 1 ? "1 change" : `${changes.length} changes`} from v{diff.data.from.version} to v
            {diff.data.to.version}: {counts("added")} added, {counts("removed")} removed, {counts("changed")} changed.
          </p>
        )}
      </div>

      {!same ? (
        <>
          <div className="mt-4 grid gap-4 md:grid-cols-2">
            <ConfigPane title="A" query={from} changes={changes} side="from" />
            <ConfigPane title="B" query={to} changes={changes} side="to" />
          </div>
          <p className="mt-2 text-sm text-slate-700" aria-hidden="true">
            Lines start with <span className="font-mono">+</span> when added in B, <span className="font-mono">−</span>{" "}
            when removed from A and <span className="font-mono">~</span> when changed.
          </p>
          {changes.length > 0 ? <ChangeTable changes={changes} /> : null}
        </>
      ) : null}
    </Card>
  );
}

function ConfigPane({
  title,
  query,
  changes,
  side,
}: {
  title: string;
  query: {
    data?: { version: number; label: string | null; checksum: string; config: JsonValue; checksumOk: boolean };
    error: { message: string } | null;
    isPending: boolean;
  };
  changes: ConfigChange[];
  side: "from" | "to";
}) {
  if (query.error) return <QueryError error={query.error} what={`snapshot ${title}`} />;
  if (query.isPending || !query.data) return <Skeleton className="h-48 w-full" label={`Loading snapshot ${title}`} />;
  const snapshot = query.data;
  const lines = jsonLines(snapshot.config, changes, side);
  return (
    <section aria-label={`Snapshot ${title}: v${snapshot.version}`} className="min-w-0">
      <h3 className="text-sm font-medium">
        {title}: v{snapshot.version}
        {snapshot.label ? ` · ${snapshot.label}` : ""}{" "}
        <span className="font-mono text-xs font-normal text-slate-600" title={snapshot.checksum}>
          {shortChecksum(snapshot.checksum)}
        </span>
      </h3>
      {!snapshot.checksumOk ? (
        <div className="mt-2">
          <Alert>This stored config no longer matches its checksum: it is corrupted and will never be served.</Alert>
        </div>
      ) : null}
      {/* The table below carries the changes for screen readers; the drawing is for the eye. */}
      <pre
        aria-hidden="true"
        className="mt-2 max-h-[32rem] overflow-auto rounded-md border border-slate-200 bg-slate-50 py-2 text-xs leading-5"
      >
        {lines.map((line, i) => (
          <div key={i} className={`flex px-2 ${line.mark ? KIND_STYLE[line.mark].line : ""}`}>
            <span className="w-4 shrink-0 select-none font-bold">{line.mark ? KIND_STYLE[line.mark].symbol : " "}</span>
            <span style={{ paddingLeft: `${line.indent * 2}ch` }} className="whitespace-pre">
              {line.text}
            </span>
          </div>
        ))}
      </pre>
    </section>
  );
}

function ChangeTable({ changes }: { changes: ConfigChange[] }) {
  return (
    <div className="mt-4 overflow-x-auto">
      <DataTable
        caption="Changes from A to B"
        captionVisible
        density="compact"
        alignTop
        rows={changes}
        rowKey={(change) => JSON.stringify(change.path)}
        columns={[
          {
            id: "key",
            header: "Key",
            rowHeader: true,
            className: "font-mono text-xs",
            cell: (change) => formatPath(change.path),
          },
          {
            id: "change",
            header: "Change",
            cell: (change) => (
              <Badge tone={KIND_STYLE[change.kind].tone}>
                <span aria-hidden="true">{KIND_STYLE[change.kind].symbol}&nbsp;</span>
                {KIND_STYLE[change.kind].word}
              </Badge>
            ),
          },
          {
            id: "a",
            header: "In A",
            className: "font-mono text-xs break-all",
            cell: (change) => preview(change.before),
          },
          {
            id: "b",
            header: "In B",
            className: "font-mono text-xs break-all",
            cell: (change) => preview(change.after),
          },
        ]}
      />
    </div>
  );
}
