// `npm run bench [-- --json FILE] [-- --only NAME]`: prints a table of figures; `--json` also writes them.
import { writeFileSync } from "node:fs";
import { parseOptions, usageError } from "../../scripts/lib/cli";
import { auditExport } from "./audit-export";
import { backtestBench } from "./backtest";
import { dashboard } from "./dashboard";
import { decisionLatency, sketchAccuracy } from "./domain";
import { evaluationPass } from "./evaluation-pass";
import { firstLoadJs } from "./first-load-js";
import { breachToAction, ingestCpu, ingestThroughput, serverMemory } from "./ingest";
import { ingestWindowsCpu } from "./ingest-windows";
import { printTable, type Figure } from "./lib";
import { multiInstance } from "./multi-instance";
import { otlp } from "./otlp";
import { overviewBench } from "./overview";
import { signInTiming } from "./sign-in";
import { stepGateRates } from "./step-gate";

const suites: Record<string, () => Figure[] | Promise<Figure[]>> = {
  "decision-latency": decisionLatency,
  "sketch-accuracy": sketchAccuracy,
  "evaluation-pass": evaluationPass,
  "ingest-cpu": ingestCpu,
  "ingest-windows-cpu": ingestWindowsCpu,
  "ingest-throughput": ingestThroughput,
  "breach-to-action": breachToAction,
  "server-memory": serverMemory,
  dashboard,
  "first-load-js": firstLoadJs,
  "step-gate": stepGateRates,
  "sign-in-timing": signInTiming,
  otlp,
  "multi-instance": multiInstance,
  "audit-export": auditExport,
  overview: overviewBench,
  backtest: backtestBench,
};

const usage = `Usage: npm run bench [-- --only NAME ...] [--json FILE]

  --only NAME   run this benchmark only (repeatable): ${Object.keys(suites).join(", ")}
  --json FILE   also write the figures to FILE as JSON
  -h, --help    this help

Prints a table of figures (docs/PERFORMANCE.md); needs a production build for the HTTP benchmarks.`;
const values = parseOptions(usage, { json: { type: "string" }, only: { type: "string", multiple: true } });
const selected = values.only ?? Object.keys(suites);
const unknown = selected.filter((name) => !(name in suites));
if (unknown.length > 0) usageError(usage, `Unknown benchmark ${unknown.join(", ")}`);
const figures: Figure[] = [];
for (const name of selected) {
  const suite = suites[name];
  if (!suite) continue;
  console.error(`Running ${name}…`);
  figures.push(...(await suite()));
}
printTable(figures);
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ at: new Date().toISOString(), node: process.version, figures }, null, 2));
  console.error(`Figures written to ${values.json}`);
}
// A suite whose invariant failed set process.exitCode (multi-instance); exit() keeps it.
process.exit();
