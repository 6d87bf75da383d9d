"use client";
// The target's snapshots (current and known-good) and its policy in words.
import Link from "next/link";
import { describePolicy } from "@/server/domain/policy-description";
import { formatDateTime, formatRelative, shortChecksum } from "../format";
import { useNow } from "../rollbacks/rollback-evidence";
import { Badge, Card, ListSkeleton } from "../ui";
import type { PerformanceRollback, SnapshotView } from "../use-performance-rollback";

const linkClass = "text-sm text-indigo-700 underline hover:text-indigo-900";

function SnapshotFacts({ snapshot }: { snapshot: SnapshotView }) {
  return (
    <dd className="mt-1 space-y-0.5 text-sm">
      <p className="flex flex-wrap items-center gap-2">
        <span className="font-medium">v{snapshot.version}</span>
        {snapshot.label ? <span className="text-slate-700">{snapshot.label}</span> : null}
        {snapshot.failedAt ? <Badge tone="bad">Failed</Badge> : null}
        {snapshot.isKnownGood ? <Badge tone="good">Known-good</Badge> : null}
        {snapshot.bake?.state === "BAKING" ? <Badge tone="info">Baking</Badge> : null}
      </p>
      <p className="text-slate-700">
        Checksum{" "}
        <code className="font-mono" title={snapshot.checksum}>
          {shortChecksum(snapshot.checksum)}
        </code>
      </p>
      <p className="text-slate-700">
        Published{" "}
        {snapshot.publishedAt ? (
          <time dateTime={snapshot.publishedAt.toISOString()} title={formatDateTime(snapshot.publishedAt)}>
            {formatRelative(snapshot.publishedAt)}
          </time>
        ) : (
          "never"
        )}
        {snapshot.bake?.state === "BAKING" ? <BakeNote readyAt={snapshot.bake.readyAt} /> : null}
      </p>
    </dd>
  );
}

/**
 * When a baking snapshot becomes known-good: after its bake time and a healthy verdict, without a violation.
 * Once the bake time is over, only the healthy verdict is missing (server/domain/snapshots.ts, bakeStatus).
 */
function BakeNote({ readyAt }: { readyAt: Date }) {
  const now = useNow(5_000);
  const time = (
    <time dateTime={readyAt.toISOString()} title={formatDateTime(readyAt)}>
      {formatRelative(readyAt, new Date(now))}
    </time>
  );
  return readyAt.getTime() > now ? (
    <> · known-good {time} if its verdicts stay healthy</>
  ) : (
    <> · bake time ended {time}; known-good at its first healthy verdict</>
  );
}

export function SnapshotsCard({ perf, slug }: { perf: PerformanceRollback; slug: string }) {
  const snapshots = perf.snapshots;
  const current = snapshots?.find((snapshot) => snapshot.isCurrent);
  const knownGood = snapshots?.find((snapshot) => snapshot.isRollbackTarget);
  return (
    <Card>
      <h2 className="text-base font-medium">Snapshots</h2>
      {!snapshots ? (
        <ListSkeleton rows={2} label="Loading snapshots" />
      ) : snapshots.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">
          No snapshot yet. The orchestrator publishes its configuration with{" "}
          <code className="font-mono">{`POST /api/v1/targets/${slug}/snapshots`}</code> (docs/API.md); a snapshot
          becomes known-good after its bake time.
        </p>
      ) : (
        <dl className="mt-2 space-y-3">
          <div>
            <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">Current</dt>
            {current ? <SnapshotFacts snapshot={current} /> : <dd className="text-sm">None selected</dd>}
          </div>
          <div>
            <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">Known-good (rollback target)</dt>
            {knownGood ? (
              <SnapshotFacts snapshot={knownGood} />
            ) : (
              <dd className="text-sm text-slate-700">None yet: nothing to roll back to automatically.</dd>
            )}
          </div>
        </dl>
      )}
      <p className="mt-3">
        <Link href={`/snapshots?target=${encodeURIComponent(slug)}`} className={linkClass}>
          All snapshots of this target
        </Link>
      </p>
    </Card>
  );
}

export function PolicyCard({ perf, slug, canEdit }: { perf: PerformanceRollback; slug: string; canEdit: boolean }) {
  const policy = perf.policy;
  return (
    <Card>
      <h2 className="text-base font-medium">Policy</h2>
      {!policy ? (
        <ListSkeleton rows={3} label="Loading the policy" />
      ) : (
        <>
          <p className="mt-1 text-xs text-slate-600">
            {policy.isDefault
              ? "The default policy: none saved for this target yet."
              : `Version ${policy.version}${policy.createdBy ? ` by ${policy.createdBy.name || policy.createdBy.email}` : ""}${
                  policy.createdAt ? `, ${formatRelative(policy.createdAt)}` : ""
                }`}
          </p>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-800">
            {describePolicy(policy.policy).map((sentence) => (
              <li key={sentence}>{sentence}</li>
            ))}
          </ul>
        </>
      )}
      <p className="mt-3">
        <Link href={`/policies?target=${encodeURIComponent(slug)}`} className={linkClass}>
          {canEdit ? "Edit the policy" : "Policy history"}
        </Link>
      </p>
    </Card>
  );
}
