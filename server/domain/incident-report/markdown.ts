// The incident report (build.ts) as Markdown for a postmortem: tables GitHub, GitLab and wikis render,
// with every piece of user text escaped so a name or a reason can neither break a table nor inject HTML.
import { formatSloValue, sloDefinition } from "../slo";
import { buildIncidentReport } from "./build";
import { STREAK_SHOWN_EACH_END, type IncidentReport, type IncidentReportInput } from "./types";
import { formatReportDuration, formatUtc } from "./wording";

const MINUTE = 60_000;

/**
 * User text (a target's name, a reason, a comment) as inline Markdown that reads as itself: one line (newlines
 * would end a table row or start a block), HTML as text (`<script>` is `&lt;script&gt;`, never a tag), and the
 * characters that would make emphasis, code, links or a table cell (`|`) escaped with a backslash.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n?|\n|\u2028|\u2029/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~]/g, (character) => `\\${character}`)
    .trim();
}

/** The downloaded file's name: incident-<target slug>-<rollback id>.md, with anything but [a-z0-9-] dropped. */
export function incidentReportFileName(targetSlug: string, rollbackId: string): string {
  const safe = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "x";
  return `incident-${safe(targetSlug)}-${safe(rollbackId)}.md`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)];
}

/** "03:02:10", or "05-01 03:02" when the table spans days (with seconds too when rows are under a minute). */
function clock(date: Date, withDate: boolean, stepMs: number): string {
  const iso = date.toISOString();
  const time = stepMs < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
  return withDate ? `${iso.slice(5, 10)} ${time}` : iso.slice(11, 19);
}

export function renderIncidentMarkdown(report: IncidentReport): string {
  const md = escapeMarkdown;
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);

  push(`# Incident report: ${md(report.target.name)} (${md(report.target.slug)})`, "");
  push(`${md(report.kind)}`, "");
  push("## Summary", "");
  push(
    ...table(
      ["Field", "Value"],
      [
        ["Target", `${md(report.target.name)} (${md(report.target.slug)})`],
        ["Rollback", md(report.rollbackId)],
        ["Trigger", md(report.trigger.label)],
        ["From", md(report.from)],
        ["To (known-good)", md(report.to)],
        ["Outcome", md(report.outcome)],
        [
          "Verification",
          `${md(report.verification.label)}${report.verification.at ? ` (${formatUtc(report.verification.at)})` : ""}`,
        ],
        ["Reason", report.reason ? md(report.reason) : "—"],
        ...(report.endReason ? [["Why it ended", md(report.endReason)]] : []),
        ["Policy", report.policyVersion === null ? "Default policy" : `Version ${report.policyVersion}`],
        [
          "First violation",
          report.firstViolation
            ? `${formatUtc(report.firstViolation.at)} (judging traffic from ${formatUtc(report.firstViolation.judgedFrom)})`
            : `— (${md(report.firstViolationMissing ?? "")})`,
        ],
      ],
    ),
    "",
  );

  push("## Durations", "");
  push(
    ...table(
      ["Point", "Time", "Since first violation", "Since requested", "Note"],
      report.milestones.map((milestone) => [
        milestone.label,
        milestone.at ? formatUtc(milestone.at) : "—",
        formatReportDuration(milestone.sinceViolationMs),
        formatReportDuration(milestone.sinceRequestMs),
        milestone.note ? md(milestone.note) : "",
      ]),
    ),
    "",
  );
  push(
    report.firstViolation
      ? "Durations run from the first violating verdict of the streak that led to the request. " +
          "Recovered: the first healthy verdict after completion, else the verification's EFFECTIVE verdict."
      : `No duration from the first violation: ${md(report.firstViolationMissing ?? "")}.`,
    "",
  );

  push("## Who decided", "");
  push(
    ...(report.decisions.length === 0
      ? ["No decisions recorded."]
      : table(
          ["Decision", "Who", "When", "Comment"],
          report.decisions.map((decision) => [
            decision.role,
            `${md(decision.who)}${decision.detail ? ` (${md(decision.detail)})` : ""}`,
            formatUtc(decision.at),
            decision.comment ? md(decision.comment) : "—",
          ]),
        )),
    "",
  );

  push("## Verdicts that triggered it", "");
  const verdicts = report.triggeringVerdicts;
  if (verdicts.shown.length === 0) {
    push(`None: ${md(report.firstViolationMissing ?? "no violating verdict came before the request")}.`, "");
  } else {
    push(
      `${verdicts.total} violating verdict${verdicts.total === 1 ? "" : "s"} in a row before the request` +
        (verdicts.omitted > 0
          ? ` (the first and last ${STREAK_SHOWN_EACH_END} shown; ${verdicts.omitted} between left out)`
          : "") +
        ".",
      "",
    );
    push(
      ...table(
        ["Recorded", "Verdict", "Window", "SLO", "Observed", "Threshold"],
        verdicts.shown.flatMap((verdict) =>
          (verdict.violations.length === 0 ? [null] : verdict.violations).map((violation) => [
            formatUtc(verdict.at),
            verdict.level,
            violation ? md(violation.window) : md(verdict.window),
            violation ? violation.title : "—",
            violation ? violation.observed : "—",
            violation ? violation.threshold : "—",
          ]),
        ),
      ),
      "",
    );
    const last = verdicts.shown.at(-1);
    if (last?.explanation) push(`Last verdict: ${md(last.explanation)}`, "");
  }

  push("## Timeline", "");
  for (const entry of report.timeline) {
    push(`- **${formatUtc(entry.at)}** ${md(entry.title)}${entry.by ? ` — by ${md(entry.by)}` : ""}`);
    for (const detail of entry.details) push(`  - ${md(detail)}`);
  }
  if (report.timeline.length === 0) push("No events recorded.");
  push("");

  const series = report.series;
  const withDate = series.from.toISOString().slice(0, 10) !== series.to.toISOString().slice(0, 10);
  push("## Series around the incident", "");
  push(
    `All traffic of ${md(report.target.slug)} from ${formatUtc(series.from)} to ${formatUtc(series.to)}, ` +
      `one row per ${formatReportDuration(series.stepMs)} (times in UTC, the start of each row). ` +
      "Bold: over the policy's limit.",
    "",
  );
  push(
    ...table(
      [
        withDate ? "Time (UTC)" : `Time (UTC, ${series.from.toISOString().slice(0, 10)})`,
        "Requests",
        ...series.slos.map((slo) => sloDefinition(slo).title),
      ],
      [
        [
          "Limit",
          "",
          ...series.slos.map((slo) => {
            const limit = series.limits[slo] ?? null;
            return limit === null ? "not judged" : formatSloValue(slo, limit);
          }),
        ],
        ...series.rows.map((row) => [
          clock(row.start, withDate, series.stepMs),
          row.requestCount.toLocaleString("en-US"),
          ...row.cells.map((cell) => (cell.over ? `**${cell.value}**` : cell.value)),
        ]),
      ],
    ),
    "",
  );
  push(`Generated by Rewind at ${formatUtc(report.generatedAt)}.`, "");
  return lines.join("\n");
}

/** For tests and callers that hold both: the report and its Markdown, from the same input. */
export function incidentReport(input: IncidentReportInput): { report: IncidentReport; markdown: string } {
  const report = buildIncidentReport(input);
  return { report, markdown: renderIncidentMarkdown(report) };
}
