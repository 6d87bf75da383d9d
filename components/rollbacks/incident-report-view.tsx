// An ended rollback's incident report as a page (app/(console)/rollbacks/[id]/report): the summary, the headline
// durations from the first violation, who decided, the verdicts that triggered it, the target's charts zoomed on
// the incident, and the timeline. Everything is the report procedure's, worded in server/domain/incident-report.ts,
// so the page and the Markdown export say the same; rendered on the server, with the charts as client islands.
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { ReactNode } from "react";
import type { AppRouter } from "@/server/api/root";
import type { Milestone } from "@/server/domain/incident-report/types";
import { formatReportDuration, formatUtc } from "@/server/domain/incident-report/wording";
import { DataTable } from "../data-table";
import { RollbackStatusBadge } from "../status";
import { Badge, Card } from "../ui";
import { IncidentCharts } from "./incident-report-charts";
import { IncidentReportDownload } from "./incident-report-download";
import { ScrollArea } from "./scroll-area";

export type IncidentReportView = inferRouterOutputs<AppRouter>["rollbacks"]["report"];
type Report = IncidentReportView["report"];

const verificationTones = { EFFECTIVE: "good", INEFFECTIVE: "bad", INCONCLUSIVE: "warning", PENDING: "info" } as const;

function Time({ at }: { at: Date }) {
  return <time dateTime={at.toISOString()}>{formatUtc(at)}</time>;
}

export function IncidentReport({ data }: { data: IncidentReportView }) {
  const { report } = data;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <RollbackStatusBadge status={report.status} />
        <Badge tone={report.trigger.code === "MANUAL" ? "neutral" : "bad"}>{report.trigger.label}</Badge>
        <span className="text-slate-600">
          Generated <Time at={report.generatedAt} />
        </span>
        <span className="ml-auto flex flex-wrap gap-2">
          <Link
            href={`/rollbacks/${report.rollbackId}`}
            className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-100"
          >
            Rollback details
          </Link>
          <IncidentReportDownload markdown={data.markdown} fileName={data.fileName} />
        </span>
      </div>
      <Durations report={report} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Summary report={report} />
        <Decisions report={report} />
      </div>
      <TriggeringVerdicts report={report} />
      <IncidentCharts chart={data.chart} targetSlug={report.target.slug} />
      <Timeline report={report} />
    </div>
  );
}

function Summary({ report }: { report: Report }) {
  const rows: [string, ReactNode][] = [
    [
      "Target",
      <>
        <Link href={`/targets/${report.target.slug}`} className="text-indigo-700 underline hover:text-indigo-900">
          {report.target.name}
        </Link>{" "}
        ({report.target.slug})
      </>,
    ],
    ["Trigger", report.trigger.label],
    ["From", report.from],
    ["To (known-good)", report.to],
    ["Outcome", report.outcome],
    [
      "Verification",
      <>
        {report.verification.code ? (
          <Badge tone={verificationTones[report.verification.code as keyof typeof verificationTones] ?? "neutral"}>
            {report.verification.code.charAt(0) + report.verification.code.slice(1).toLowerCase()}
          </Badge>
        ) : null}{" "}
        {/* The badge names the verdict; the words after it say what it means. */}
        {report.verification.code
          ? report.verification.label.slice(report.verification.label.indexOf(": ") + 2)
          : report.verification.label}
        {report.verification.at ? (
          <span className="block text-xs text-slate-600">
            <Time at={report.verification.at} />
          </span>
        ) : null}
      </>,
    ],
    ["Reason", report.reason ?? "—"],
    ...(report.endReason ? [["Why it ended", report.endReason] as [string, ReactNode]] : []),
    ["Policy", report.policyVersion === null ? "Default policy" : `Version ${report.policyVersion}`],
    [
      "First violation",
      report.firstViolation ? (
        <>
          <Time at={report.firstViolation.at} />
          <span className="block text-xs text-slate-600">
            judging traffic from <Time at={report.firstViolation.judgedFrom} />
          </span>
        </>
      ) : (
        <span className="text-slate-600">— {report.firstViolationMissing}</span>
      ),
    ],
  ];
  return (
    <Card>
      <h2 className="mb-3 text-base font-semibold">Summary</h2>
      <dl className="grid grid-cols-[minmax(7rem,auto)_1fr] gap-x-4 gap-y-2 text-sm">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600">{term}</dt>
            <dd className="min-w-0 break-words">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

function Durations({ report }: { report: Report }) {
  const measured = report.firstViolation !== null;
  return (
    <section aria-labelledby="durations-heading" className="space-y-2">
      <h2 id="durations-heading" className="text-base font-semibold">
        {measured ? "Time from the first violation" : "Time from the request"}
      </h2>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {report.milestones.map((milestone) => (
          <DurationCard key={milestone.key} milestone={milestone} measured={measured} />
        ))}
      </ul>
      <p className="text-xs text-slate-600">
        {measured
          ? "From the first violating verdict of the streak that led to the request. Recovered: the first healthy verdict after completion, else the verification's EFFECTIVE verdict. Times in UTC."
          : `No first violation to measure from: ${report.firstViolationMissing}. Durations run from the request. Times in UTC.`}
      </p>
    </section>
  );
}

function DurationCard({ milestone, measured }: { milestone: Milestone; measured: boolean }) {
  const headline = measured ? milestone.sinceViolationMs : milestone.sinceRequestMs;
  return (
    <li
      aria-label={`${milestone.label}: ${formatReportDuration(headline)}`}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <p className="text-sm text-slate-600">{milestone.label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums">{formatReportDuration(headline)}</p>
      <p className="mt-1 text-xs text-slate-600">
        {milestone.at ? (
          <>
            <Time at={milestone.at} />
            {measured && milestone.key !== "REQUESTED"
              ? ` · ${formatReportDuration(milestone.sinceRequestMs)} after the request`
              : ""}
          </>
        ) : null}
      </p>
      {milestone.note ? <p className="mt-1 text-xs text-slate-700">{milestone.note}</p> : null}
    </li>
  );
}

function Decisions({ report }: { report: Report }) {
  return (
    <Card>
      <h2 className="mb-3 text-base font-semibold">Who decided</h2>
      <ScrollArea label="Who decided">
        <DataTable
          label="Who decided"
          density="inline"
          head="plain"
          alignTop
          rows={report.decisions}
          empty="No decisions recorded."
          rowKey={(decision, index) => `${decision.role}-${index}`}
          columns={[
            { id: "role", header: "Decision", cell: (decision) => decision.role },
            {
              id: "who",
              header: "Who",
              cell: (decision) => (
                <>
                  {decision.who}
                  {decision.detail ? <span className="block text-xs text-slate-600">{decision.detail}</span> : null}
                </>
              ),
            },
            {
              id: "when",
              header: "When",
              className: "whitespace-nowrap",
              cell: (decision) => <Time at={decision.at} />,
            },
            { id: "comment", header: "Comment", cell: (decision) => decision.comment ?? "—" },
          ]}
        />
      </ScrollArea>
    </Card>
  );
}

function TriggeringVerdicts({ report }: { report: Report }) {
  const { total, shown, omitted } = report.triggeringVerdicts;
  const rows = shown.flatMap((verdict, index) =>
    (verdict.violations.length === 0 ? [null] : verdict.violations).map((violation, position) => ({
      key: `${index}-${position}`,
      verdict,
      violation,
    })),
  );
  return (
    <Card>
      <h2 className="mb-1 text-base font-semibold">Verdicts that triggered it</h2>
      <p className="mb-3 text-sm text-slate-600">
        {total === 0
          ? `None: ${report.firstViolationMissing ?? "no violating verdict came before the request"}.`
          : `${total} violating verdict${total === 1 ? "" : "s"} in a row before the request` +
            (omitted > 0 ? ` (the first and last ten shown; ${omitted} between left out).` : ".")}
      </p>
      {rows.length > 0 ? (
        <ScrollArea label="Verdicts that triggered the rollback">
          <DataTable
            label="Verdicts that triggered the rollback"
            density="inline"
            head="plain"
            rows={rows}
            rowKey={(row) => row.key}
            columns={[
              {
                id: "at",
                header: "Recorded",
                className: "whitespace-nowrap",
                cell: (row) => <Time at={row.verdict.at} />,
              },
              { id: "level", header: "Verdict", cell: (row) => row.verdict.level },
              { id: "window", header: "Window", cell: (row) => row.violation?.window ?? row.verdict.window },
              { id: "slo", header: "SLO", cell: (row) => row.violation?.title ?? "—" },
              {
                id: "observed",
                header: "Observed",
                className: "tabular-nums font-semibold text-red-800",
                cell: (row) => row.violation?.observed ?? "—",
              },
              {
                id: "threshold",
                header: "Threshold",
                className: "tabular-nums",
                cell: (row) => row.violation?.threshold ?? "—",
              },
            ]}
          />
        </ScrollArea>
      ) : null}
      {shown.at(-1)?.explanation ? (
        <p className="mt-2 text-xs text-slate-600">Last verdict: {shown.at(-1)?.explanation}</p>
      ) : null}
    </Card>
  );
}

function Timeline({ report }: { report: Report }) {
  return (
    <Card>
      <h2 id="report-timeline-heading" className="mb-3 text-base font-semibold">
        Timeline
      </h2>
      {report.timeline.length === 0 ? (
        <p className="text-sm text-slate-600">No events recorded.</p>
      ) : (
        <ol aria-labelledby="report-timeline-heading" className="relative space-y-3 border-l border-slate-200 pl-5">
          {report.timeline.map((entry, index) => (
            <li key={index} className="relative">
              <span
                className={`absolute top-1.5 -left-[1.6rem] h-2.5 w-2.5 rounded-full ring-2 ring-white ${
                  entry.kind === "EVENT"
                    ? "bg-indigo-600"
                    : entry.kind === "STEP_CHECK"
                      ? "bg-teal-700"
                      : "bg-slate-400"
                }`}
                aria-hidden="true"
              />
              <p className="text-sm">
                <span className="font-medium">{entry.title}</span>
                {entry.by ? <span className="text-slate-600"> by {entry.by}</span> : null}
              </p>
              <p className="text-xs text-slate-600">
                <Time at={entry.at} />
              </p>
              {entry.details.length > 0 ? (
                <ul className="mt-0.5 space-y-0.5 text-sm text-slate-700">
                  {entry.details.map((detail, position) => (
                    <li key={position}>{detail}</li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
