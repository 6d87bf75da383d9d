import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Verdict } from "@/server/domain/evaluation";
import {
  actorName,
  buildIncidentReport,
  escapeMarkdown,
  formatReportDuration,
  formatUtc,
  incidentReport,
  incidentReportFileName,
  type IncidentReportInput,
  incidentReportInputSchema,
  renderIncidentMarkdown,
  type ReportActor,
  type ReportAuditEvent,
  type ReportRollback,
  type ReportSeriesPoint,
  reportSeriesStep,
  snapshotText,
} from "@/server/domain/incident-report";

const S = 1_000;
const MIN = 60 * S;
const T = Date.UTC(2027, 4, 1, 3, 0, 0);
const at = (seconds: number) => new Date(T + seconds * S);

const ana: ReportActor = { type: "USER", name: "Ana Approver", email: "ana@example.com" };
const rewind: ReportActor = { type: "SYSTEM" };

function verdict(status: "VIOLATION" | "BREACH", overrides: Partial<Verdict> = {}): Verdict {
  const base = {
    observed: {
      windowSeconds: 60,
      requestCount: 120,
      errorRate: 0.1,
      p95Ms: 900,
      costPerRequestUsd: 0.002,
      ttftP95Ms: null,
    },
    violations: [{ slo: "ERROR_RATE" as const, observed: 0.1, threshold: 0.05, windowSeconds: 60 }],
    consecutiveCount: 1,
    explanation: "Error rate 10% > 5% over the last 1 min",
  };
  return (
    status === "BREACH"
      ? { ...base, status, severity: "CRITICAL", burnRate: null, ...overrides }
      : { ...base, status, ...overrides }
  ) as Verdict;
}

const event = (
  seconds: number,
  action: string,
  actor: ReportActor,
  trafficPercent: number,
  reason: string | null = null,
) => ({ at: at(seconds), action, actor, after: { status: "X", trafficPercent }, reason }) satisfies ReportAuditEvent;

/** A gradual SLO rollback: violations from −120 s, requested at 0, approved at 60 s, 50% at 70 s, done at 130 s. */
function completedGradual(overrides: Partial<IncidentReportInput> = {}, rollback: Partial<ReportRollback> = {}) {
  const input: IncidentReportInput = {
    rollback: {
      id: "rb_1",
      trigger: "SLO",
      status: "COMPLETED",
      aborted: false,
      steps: [50, 100],
      approvalsRequired: 1,
      requestedAt: at(0),
      startedAt: at(70),
      endedAt: at(130),
      reason: "Error rate 10% > 5% over the last 1 min (2nd consecutive violation)",
      endReason: null,
      verification: "EFFECTIVE",
      verifiedAt: at(400),
      policyVersion: 3,
      target: { slug: "chat", name: "Chat completions" },
      fromSnapshot: { version: 2, label: "temperature 1.4" },
      toSnapshot: { version: 1, label: null },
      ...rollback,
    },
    audit: [
      event(0, "rollback.created", rewind, 0),
      event(60, "rollback.approved", ana, 0, "Looks bad, go"),
      event(70, "rollback.started", rewind, 50),
      event(100, "rollback.step_advanced", rewind, 100),
      event(130, "rollback.completed", rewind, 100),
      event(400, "rollback.verified", rewind, 100),
    ],
    streak: [
      { evaluatedAt: at(-120), details: verdict("VIOLATION") },
      { evaluatedAt: at(0), details: verdict("BREACH", { consecutiveCount: 2 }) },
    ],
    streakTotal: 2,
    verdictsKeptFrom: at(-86_400),
    firstHealthyAfterCompletion: at(190),
    stepChecks: [
      {
        checkedAt: at(100),
        step: 0,
        trafficPercent: 50,
        outcome: "ADVANCE",
        perArm: true,
        arms: [
          {
            arm: "KNOWN_GOOD",
            version: 1,
            requestCount: 1_200,
            readings: { errorRate: 0.01, p95Ms: 450, costPerRequestUsd: 0.002, ttftP95Ms: null },
          },
          {
            arm: "CURRENT",
            version: 2,
            requestCount: 1_180,
            readings: { errorRate: 0.1, p95Ms: 1_450, costPerRequestUsd: 0.002, ttftP95Ms: null },
          },
        ],
        comparisons: [{ slo: "ERROR_RATE", knownGood: 0.01, current: 0.1, pValue: 0.00012, worse: "CURRENT" }],
        explanation: "v1 is not worse",
      },
    ],
    notifications: [
      {
        at: at(0),
        event: "rollback.proposed",
        severity: "CRITICAL",
        title: "Rollback of Chat completions (chat) proposed",
        dispatched: true,
        deliveries: [
          { channel: "SLACK", status: "DELIVERED" },
          { channel: "WEBHOOK", status: "DEAD" },
        ],
      },
    ],
    thresholds: { maxErrorRate: 0.05, maxP95LatencyMs: 8_000, maxCostPerRequestUsd: 0.05 },
    series: {
      from: at(-300),
      to: at(600),
      stepMs: 60 * S,
      points: [
        point(-300, { errorRate: 0.01 }),
        point(-120, { errorRate: 0.12 }),
        point(0, { errorRate: 0.1 }),
        point(240, { errorRate: 0.008, requestCount: 0 }),
      ],
    },
    generatedAt: at(3_600),
    ...overrides,
  };
  return input;
}

function point(seconds: number, readings: Partial<ReportSeriesPoint> = {}): ReportSeriesPoint {
  return {
    start: at(seconds),
    requestCount: 100,
    errorRate: null,
    p95Ms: 800,
    costPerRequestUsd: 0.002,
    ttftP95Ms: null,
    ...readings,
  };
}

const milestone = (input: IncidentReportInput, key: string) =>
  buildIncidentReport(input).milestones.find((candidate) => candidate.key === key)!;

describe("incident durations", () => {
  it("measures request, approval, completion and recovery from the first violating verdict and from the request", () => {
    const report = buildIncidentReport(completedGradual());
    expect(report.firstViolation).toEqual({ at: at(-120), judgedFrom: at(-180) });
    expect(report.firstViolationMissing).toBeNull();
    expect(
      report.milestones.map(({ key, at: when, sinceViolationMs, sinceRequestMs }) => ({
        key,
        when,
        sinceViolationMs,
        sinceRequestMs,
      })),
    ).toEqual([
      { key: "REQUESTED", when: at(0), sinceViolationMs: 120 * S, sinceRequestMs: 0 },
      { key: "APPROVED", when: at(60), sinceViolationMs: 180 * S, sinceRequestMs: 60 * S },
      { key: "COMPLETED", when: at(130), sinceViolationMs: 250 * S, sinceRequestMs: 130 * S },
      { key: "RECOVERED", when: at(190), sinceViolationMs: 310 * S, sinceRequestMs: 190 * S },
    ]);
    expect(milestone(completedGradual(), "RECOVERED").note).toBe("the first healthy verdict after completion");
  });

  it("takes the approval that completed the approvals (the second of two), not the first", () => {
    const input = completedGradual({}, { approvalsRequired: 2 });
    input.audit = [
      event(0, "rollback.created", rewind, 0),
      event(30, "rollback.approval_added", { type: "USER", name: "Bo", email: "bo@example.com" }, 0),
      event(60, "rollback.approved", ana, 0),
      event(130, "rollback.completed", rewind, 100),
    ];
    expect(milestone(input, "APPROVED")).toMatchObject({ at: at(60), note: "2 approvals complete" });
    expect(buildIncidentReport(input).decisions.map((decision) => [decision.role, decision.who])).toEqual([
      ["Requested", "Rewind"],
      ["Approved", "Bo"],
      ["Approved", "Ana Approver"],
    ]);
  });

  it("falls back on the verification's EFFECTIVE verdict when no healthy verdict is kept", () => {
    const recovered = milestone(completedGradual({ firstHealthyAfterCompletion: null }), "RECOVERED");
    expect(recovered).toMatchObject({ at: at(400), sinceViolationMs: 520 * S });
    expect(recovered.note).toMatch(/EFFECTIVE/);
  });

  it.each([
    ["INEFFECTIVE", /not recovered: the verification found the target still breaching on v1/],
    ["PENDING", /no healthy verdict yet: the verification window is still open/],
    ["INCONCLUSIVE", /too little traffic to judge/],
  ])("has no recovery for a %s verification without a healthy verdict, and says why", (verification, why) => {
    const recovered = milestone(
      completedGradual({ firstHealthyAfterCompletion: null }, { verification, verifiedAt: null }),
      "RECOVERED",
    );
    expect(recovered).toMatchObject({ at: null, sinceViolationMs: null, sinceRequestMs: null });
    expect(recovered.note).toMatch(why);
  });

  it("never credits recovery to an ineffective rollback, even after a healthy verdict", () => {
    expect(milestone(completedGradual({}, { verification: "INEFFECTIVE" }), "RECOVERED").at).toBeNull();
  });

  it("needs no approval for an emergency: the point is missing with the reason", () => {
    const input = completedGradual({}, { trigger: "EMERGENCY", approvalsRequired: 0, steps: [100] });
    const approved = milestone(input, "APPROVED");
    expect(approved).toMatchObject({ at: null, sinceViolationMs: null });
    expect(approved.note).toMatch(/none needed/);
    expect(buildIncidentReport(input).trigger.label).toBe("Emergency");
  });

  it("has no approval, completion or recovery for a proposal cancelled while pending", () => {
    const input = completedGradual(
      { audit: [event(0, "rollback.created", rewind, 0), event(90, "rollback.cancelled", ana, 0, "Provider outage")] },
      {
        status: "CANCELLED",
        startedAt: null,
        endedAt: at(90),
        endReason: "Provider outage",
        verification: null,
        verifiedAt: null,
      },
    );
    const report = buildIncidentReport(input);
    expect(report.milestones.map((point) => [point.key, point.at, point.note])).toEqual([
      ["REQUESTED", at(0), null],
      ["APPROVED", null, "never approved: it was cancelled before that"],
      ["COMPLETED", null, "did not complete: it was cancelled"],
      ["RECOVERED", null, "not measured: it was cancelled, so no recovery can be credited to it"],
    ]);
    expect(report.kind).toMatch(/^A cancelled rollback: withdrawn before any traffic moved/);
    expect(report.outcome).toBe("Cancelled before any traffic moved: v2 “temperature 1.4” stayed current.");
    expect(report.verification.label).toBe("Not verified: the rollback did not complete");
    expect(report.decisions.at(-1)).toMatchObject({
      role: "Cancelled",
      who: "Ana Approver",
      comment: "Provider outage",
    });
  });

  it("says how far an aborted rollback went", () => {
    const input = completedGradual(
      {
        audit: [
          event(0, "rollback.created", rewind, 0),
          event(60, "rollback.approved", ana, 0),
          event(70, "rollback.started", rewind, 50),
          event(90, "rollback.aborted", { type: "API_KEY", name: "ci" }, 0, "Wrong target"),
        ],
      },
      { status: "CANCELLED", aborted: true, endedAt: at(90), endReason: "Wrong target", verification: null },
    );
    const report = buildIncidentReport(input);
    expect(report.outcome).toBe("Aborted at 50%: all traffic went back to v2 “temperature 1.4”.");
    expect(report.kind).toMatch(/^An aborted rollback/);
    expect(milestone(input, "COMPLETED").note).toBe("did not complete: it was aborted at 50%");
    expect(report.decisions.at(-1)).toMatchObject({ role: "Aborted", who: "API key “ci”" });
  });

  it.each([
    ["FAILED", /^A failed rollback: traffic went back to v2/, /^Failed \(v1 is worse\)/],
    ["REJECTED", /^A rejected proposal/, /^Rejected: v2/],
    ["EXPIRED", /^An expired proposal/, /^Expired waiting for approval/],
  ] as const)("describes a %s rollback for what it is", (status, kind, outcome) => {
    const report = buildIncidentReport(completedGradual({}, { status, endReason: "v1 is worse", verification: null }));
    expect(report.kind).toMatch(kind);
    expect(report.outcome).toMatch(outcome);
    expect(report.milestones.find((point) => point.key === "COMPLETED")?.at).toBeNull();
  });

  it("measures from the request only when no violation came before it, and says why", () => {
    const manual = buildIncidentReport(
      completedGradual({ streak: [], streakTotal: 0 }, { trigger: "MANUAL", reason: "Customer reports" }),
    );
    expect(manual.firstViolation).toBeNull();
    expect(manual.firstViolationMissing).toBe("no violating verdict came before the request: it was requested by hand");
    expect(manual.milestones.map((point) => point.sinceViolationMs)).toEqual([null, null, null, null]);
    expect(manual.milestones.map((point) => point.sinceRequestMs)).toEqual([0, 60 * S, 130 * S, 190 * S]);
    expect(manual.triggeringVerdicts).toEqual({ total: 0, shown: [], omitted: 0 });

    const pruned = buildIncidentReport(completedGradual({ streak: [], streakTotal: 0, verdictsKeptFrom: at(10) }));
    expect(pruned.firstViolationMissing).toBe("the target's verdicts from before the request are no longer kept");
    const none = buildIncidentReport(completedGradual({ streak: [], streakTotal: 0 }));
    expect(none.firstViolationMissing).toBe("no violating verdict was recorded in the day before the request");
  });

  it("counts a manual rollback after violations from the first of them", () => {
    const report = buildIncidentReport(completedGradual({}, { trigger: "MANUAL" }));
    expect(report.milestones[0]?.sinceViolationMs).toBe(120 * S);
    expect(report.trigger).toEqual({ code: "MANUAL", external: false, label: "Manual" });
  });
});

describe("triggering verdicts", () => {
  it("lists each violation's observed value against its threshold, formatted by the SLO catalogue, with its window", () => {
    const { triggeringVerdicts } = buildIncidentReport(completedGradual());
    expect(triggeringVerdicts.total).toBe(2);
    expect(triggeringVerdicts.shown[1]).toMatchObject({
      at: at(0),
      level: "Breach (critical)",
      window: "1 min",
      requestCount: 120,
      violations: [{ slo: "ERROR_RATE", title: "Error rate", observed: "10%", threshold: "5%", window: "over 1 min" }],
    });
  });

  it("names an external alert (Alertmanager, CloudWatch) as the trigger, and its unreported figures as such", () => {
    const alert = {
      ...verdict("BREACH", {
        observed: {
          windowSeconds: 0,
          requestCount: 0,
          errorRate: null,
          p95Ms: null,
          costPerRequestUsd: null,
          ttftP95Ms: null,
        },
        violations: [
          { slo: "P95_LATENCY", observed: 0, threshold: 0, windowSeconds: 0 },
          { slo: "ERROR_RATE", observed: 0.2, threshold: 0.05, windowSeconds: 0 },
        ],
        explanation: "Alertmanager: firing HighLatency (critical)",
      }),
      source: "alertmanager",
      alerts: [],
    };
    const report = buildIncidentReport(
      completedGradual({ streak: [{ evaluatedAt: at(0), details: alert }], streakTotal: 1 }),
    );
    expect(report.trigger).toEqual({ code: "SLO", external: true, label: "External alert (Alertmanager)" });
    expect(report.triggeringVerdicts.shown[0]).toMatchObject({
      external: true,
      window: "Alertmanager alert",
      requestCount: null,
      violations: [
        {
          title: "P95 latency",
          observed: "not reported",
          threshold: "not reported",
          window: "as the alert reported it",
        },
        { title: "Error rate", observed: "20%", threshold: "5%" },
      ],
    });
    const emergency = buildIncidentReport(
      completedGradual({ streak: [{ evaluatedAt: at(0), details: alert }], streakTotal: 1 }, { trigger: "EMERGENCY" }),
    );
    expect(emergency.trigger.label).toBe("Emergency, from an external alert (Alertmanager)");
    const cloudwatch = buildIncidentReport(
      completedGradual({
        streak: [{ evaluatedAt: at(0), details: { ...alert, source: "cloudwatch" } }],
        streakTotal: 1,
      }),
    );
    expect(cloudwatch.trigger.label).toBe("External alert (CloudWatch)");
    expect(cloudwatch.triggeringVerdicts.shown[0]?.window).toBe("CloudWatch alert");
  });

  it("says how many of a long streak are left out, and survives an unreadable verdict", () => {
    const report = buildIncidentReport(
      completedGradual({ streak: [{ evaluatedAt: at(-60), details: { nonsense: true } }], streakTotal: 45 }),
    );
    expect(report.triggeringVerdicts).toMatchObject({ total: 45, omitted: 44 });
    expect(report.triggeringVerdicts.shown[0]).toMatchObject({ level: "Unreadable verdict", violations: [] });
    expect(report.firstViolation).toEqual({ at: at(-60), judgedFrom: at(-60) });
  });
});

describe("who acted and the timeline", () => {
  it("names users, API keys, the command line and Rewind", () => {
    expect(actorName(ana)).toBe("Ana Approver");
    expect(actorName({ type: "USER", name: "", email: "x@example.com" })).toBe("x@example.com");
    expect(actorName({ type: "USER", name: null, email: null })).toBe("A deleted user");
    expect(actorName({ type: "API_KEY", name: "deploy-bot" })).toBe("API key “deploy-bot”");
    expect(actorName({ type: "API_KEY", name: null })).toBe("A deleted API key");
    expect(actorName({ type: "COMMAND_LINE", via: "alice@rewind-1" })).toBe("Command line");
    expect(actorName(rewind)).toBe("Rewind");
    const input = completedGradual();
    input.audit = [
      event(0, "rollback.created", { type: "COMMAND_LINE", via: "alice@rewind-1" }, 0),
      ...input.audit.slice(1),
    ];
    expect(buildIncidentReport(input).decisions[0]).toMatchObject({
      role: "Requested",
      who: "Command line",
      detail: "alice@rewind-1",
      comment: null,
    });
    expect(buildIncidentReport(completedGradual()).decisions[1]).toMatchObject({
      who: "Ana Approver",
      detail: "ana@example.com",
      comment: "Looks bad, go",
    });
  });

  it("merges events, step checks with per-arm figures and notifications in time order", () => {
    const { timeline } = buildIncidentReport(completedGradual());
    expect(timeline.map((entry) => [entry.at.getTime() - T, entry.kind, entry.title])).toEqual([
      [0, "EVENT", "Requested"],
      [0, "NOTIFICATION", "Notified (critical): Rollback of Chat completions (chat) proposed"],
      [60 * S, "EVENT", "Approved"],
      [70 * S, "EVENT", "Started: traffic moved"],
      [100 * S, "EVENT", "Next step"],
      [100 * S, "STEP_CHECK", "Step check at 50%: advance"],
      [130 * S, "EVENT", "Completed"],
      [400 * S, "EVENT", "Verified effective"],
    ]);
    expect(timeline[3]?.details).toEqual(["Traffic on v1: 0% → 50%"]);
    expect(timeline[1]?.details).toEqual(["Slack delivered, Webhook dead"]);
    const quiet = completedGradual();
    quiet.notifications = [
      { ...quiet.notifications[0]!, dispatched: false, deliveries: [] },
      { ...quiet.notifications[0]!, dispatched: true, deliveries: [] },
    ];
    expect(
      buildIncidentReport(quiet)
        .timeline.filter((entry) => entry.kind === "NOTIFICATION")
        .map((entry) => entry.details),
    ).toEqual([["Not sent to the channels yet"], ["No channel was configured to receive it"]]);
    expect(timeline[5]?.details).toEqual([
      "Known-good (v1): 1,200 requests, error rate 1%, P95 latency 450 ms, cost per request $0.002",
      "Current (v2): 1,180 requests, error rate 10%, P95 latency 1.45 s, cost per request $0.002",
      "Error rate: known-good 1% against current 10% (current worse, p = 0.00012)",
      "v1 is not worse",
    ]);
  });
});

describe("reportSeriesStep", () => {
  it("picks the shortest nice step of whole buckets that keeps the table within 30 rows", () => {
    const range = (minutes: number) => ({ from: T, to: T + minutes * MIN });
    expect(reportSeriesStep(range(5), 10 * S)).toBe(10 * S);
    expect(reportSeriesStep(range(20), 10 * S)).toBe(60 * S);
    expect(reportSeriesStep(range(90), 10 * S)).toBe(5 * MIN);
    expect(reportSeriesStep(range(20), 60 * S)).toBe(60 * S);
    expect(reportSeriesStep(range(20), 7 * S)).toBe(42 * S);
  });

  it("keeps any range of up to 7 days within 30 rows, in whole buckets", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 7 * 24 * 60 }),
        fc.constantFrom(10, 30, 60, 300, 7),
        (offset, minutes, bucketSeconds) => {
          const from = T + offset * S;
          const range = { from, to: from + minutes * MIN };
          const step = reportSeriesStep(range, bucketSeconds * S);
          const rows = Math.ceil((range.to - Math.floor(range.from / step) * step) / step);
          return step % (bucketSeconds * S) === 0 && rows <= 30;
        },
      ),
    );
  });
});

describe("the series table", () => {
  it("marks readings over the limit, and shows TTFT only when some row has it", () => {
    const { series } = buildIncidentReport(completedGradual());
    expect(series.slos).toEqual(["ERROR_RATE", "P95_LATENCY", "COST_PER_REQUEST"]);
    expect(series.limits).toEqual({ ERROR_RATE: 0.05, P95_LATENCY: 8_000, COST_PER_REQUEST: 0.05 });
    expect(series.rows[1]?.cells[0]).toEqual({ slo: "ERROR_RATE", value: "12%", over: true });
    expect(series.rows[0]?.cells[0]).toEqual({ slo: "ERROR_RATE", value: "1%", over: false });
    // Milliseconds and seconds never share a column: the 8 s limit puts the column in seconds.
    expect(series.rows[0]?.cells[1]?.value).toBe("0.8 s");

    const streaming = completedGradual();
    streaming.series = { ...streaming.series, points: [point(0, { ttftP95Ms: 2_500 })] };
    expect(buildIncidentReport(streaming).series.slos).toContain("TTFT_P95");
    expect(buildIncidentReport(completedGradual({ thresholds: null })).series.limits.ERROR_RATE).toBeNull();
  });
});

describe("words", () => {
  it("formats durations, UTC times and snapshots", () => {
    expect(formatReportDuration(null)).toBe("—");
    expect(formatReportDuration(0)).toBe("0 s");
    expect(formatReportDuration(45 * S)).toBe("45 s");
    expect(formatReportDuration(200 * S)).toBe("3 min 20 s");
    expect(formatReportDuration(2 * 3_600 * S + 5 * MIN + 7 * S)).toBe("2 h 5 min");
    expect(formatReportDuration(-30 * S)).toBe("−30 s");
    expect(formatUtc(at(130))).toBe("2027-05-01 03:02:10 UTC");
    expect(snapshotText({ version: 3, label: "safe" })).toBe("v3 “safe”");
    expect(snapshotText({ version: null, label: null })).toBe("a deleted snapshot");
  });

  it("validates the procedure's input", () => {
    expect(incidentReportInputSchema.safeParse({ rollbackId: "rb_1" }).success).toBe(true);
    for (const bad of [{}, { rollbackId: "" }, { rollbackId: "x".repeat(101) }, { rollbackId: 3 }]) {
      expect(incidentReportInputSchema.safeParse(bad).success).toBe(false);
    }
  });
});

/** The cells of a Markdown table row: split on pipes that no backslash escapes. */
const cellsOf = (line: string) => line.replace(/^\| | \|$/g, "").split(/(?<!\\)\|/);

describe("Markdown", () => {
  it("writes the summary, durations, decisions, verdicts, timeline and series", () => {
    const { markdown } = incidentReport(completedGradual());
    for (const heading of [
      "# Incident report: Chat completions (chat)",
      "## Summary",
      "## Durations",
      "## Who decided",
      "## Verdicts that triggered it",
      "## Timeline",
      "## Series around the incident",
    ]) {
      expect(markdown).toContain(`\n${heading}\n`.slice(heading.startsWith("# ") ? 1 : 0));
    }
    expect(markdown).toContain("| Trigger | SLO breach |");
    expect(markdown).toContain("| From | v2 “temperature 1.4” |");
    expect(markdown).toContain("| Rollback requested | 2027-05-01 03:00:00 UTC | 2 min | 0 s |  |");
    expect(markdown).toContain("| Approved | 2027-05-01 03:01:00 UTC | 3 min | 1 min | 1 approval complete |");
    expect(markdown).toContain("| Rollback completed | 2027-05-01 03:02:10 UTC | 4 min 10 s | 2 min 10 s |");
    expect(markdown).toContain("| Recovered | 2027-05-01 03:03:10 UTC | 5 min 10 s | 3 min 10 s |");
    expect(markdown).toContain(
      "| Approved | Ana Approver (ana@example.com) | 2027-05-01 03:01:00 UTC | Looks bad, go |",
    );
    expect(markdown).toContain("| 2027-05-01 03:00:00 UTC | Breach (critical) | over 1 min | Error rate | 10% | 5% |");
    expect(markdown).toContain("- **2027-05-01 03:01:10 UTC** Started: traffic moved — by Rewind");
    expect(markdown).toContain("| Limit |  | 5% | 8 s | $0.05 |");
    expect(markdown).toContain("| 02:58:00 | 100 | **12%** | 0.8 s | $0.002 |");
    // A table is at most 30 rows plus the limits.
    expect(markdown).toContain("one row per 1 min");
  });

  it("says — and why for every missing point", () => {
    const { markdown } = incidentReport(
      completedGradual({ streak: [], streakTotal: 0 }, { trigger: "MANUAL", status: "REJECTED", verification: null }),
    );
    expect(markdown).toContain(
      "| First violation | — (no violating verdict came before the request: it was requested by hand) |",
    );
    expect(markdown).toContain("| Rollback completed | — | — | — | did not complete: it was rejected |");
    expect(markdown).toContain("No duration from the first violation: no violating verdict came before the request");
    expect(markdown).toContain("None: no violating verdict came before the request");
  });

  it("keeps tables whole and HTML out whatever a target's name, a reason or a comment holds", () => {
    const hostile = "Chat | `rm -rf` <script>alert(1)</script>\nnew line ** _x_ [link](http://e.x) \\ &lt;";
    const input = completedGradual(
      {},
      { target: { slug: "chat", name: hostile }, reason: hostile, endReason: hostile },
    );
    input.audit = input.audit.map((entry) =>
      entry.action === "rollback.approved"
        ? event(60, "rollback.approved", { type: "USER", name: hostile, email: "a@b.c" }, 0, hostile)
        : entry,
    );
    const markdown = renderIncidentMarkdown(buildIncidentReport(input));
    expect(markdown).not.toMatch(/<script|<\/script/i);
    expect(markdown).not.toContain("\nnew line");
    // Every row of every table has as many cells as its header: no pipe in the text split a cell.
    const tables = markdown.split(/\n(?!\| )/).filter((block) => block.trimStart().startsWith("| "));
    expect(tables).toHaveLength(5);
    for (const block of tables) {
      const [header, ...rows] = block.split("\n").filter(Boolean);
      for (const row of rows) expect(cellsOf(row)).toHaveLength(cellsOf(header!).length);
    }
    const summaryTarget = markdown.split("\n").find((line) => line.startsWith("| Target |"))!;
    expect(cellsOf(summaryTarget)).toHaveLength(2);
    const decision = markdown.split("\n").find((line) => line.startsWith("| Approved | Chat"))!;
    expect(cellsOf(decision)).toHaveLength(4);
    expect(decision).toContain("&lt;script&gt;");
    expect(decision).toContain("\\`rm -rf\\`");
    expect(decision).toContain("\\*\\* \\_x\\_ \\[link\\]");
    expect(decision).toContain("&amp;lt;");
  });

  it("escapes any text into one line without raw HTML, unescaped pipes or backticks", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const escaped = escapeMarkdown(text);
        return (
          !/[\n\r<>\u2028\u2029]/.test(escaped) &&
          // Every pipe, backtick, asterisk, underscore, bracket or tilde follows an odd run of backslashes.
          [...escaped.matchAll(/[|`*_[\]~]/g)].every((match) => {
            const before = escaped.slice(0, match.index).match(/\\*$/)?.[0].length ?? 0;
            return before % 2 === 1;
          })
        );
      }),
    );
  });

  it("names the file after the target and the rollback, safely", () => {
    expect(incidentReportFileName("chat", "cm9x1")).toBe("incident-chat-cm9x1.md");
    expect(incidentReportFileName("../Etc/Passwd", "a b")).toBe("incident-etc-passwd-a-b.md");
    expect(incidentReportFileName("", "")).toBe("incident-x-x.md");
  });
});
