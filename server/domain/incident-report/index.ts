// The incident report of an ended rollback, as a team lead would write it for the postmortem: what happened
// (target, trigger, snapshots, outcome, verification), how long each stage took from the first violation, the
// timeline, the verdicts that triggered it, who decided, and the target's series around it; and its Markdown.
// types.ts → wording.ts → milestones.ts → build.ts, and markdown.ts renders the built report.
export * from "./types";
export { actorName, formatReportDuration, formatUtc, rollbackActionTitles, snapshotText } from "./wording";
export { incidentMilestones } from "./milestones";
export { buildIncidentReport, reportSeriesStep } from "./build";
export { escapeMarkdown, incidentReport, incidentReportFileName, renderIncidentMarkdown } from "./markdown";
