// `npm run simulate -- --scenario healthy|emergency|gradual|gradual-ttft|cost|bad-known-good [--url URL]
// [--key K --secret S] [--duration S] [--speed X] [--cron-secret C] [--linger] [--via ingest|otlp|otlp-metrics|litellm]`:
// demo traffic against a running Rewind (scripts/lib/simulator.ts).
import { describeFailure, parseOptions, usageError } from "./lib/cli";
import { VIAS, type Via } from "./lib/intake-formats";
import { SCENARIOS, SIMULATOR_SCOPES, SimulatorError, simulate, type Scenario } from "./lib/simulator";

const usage = `Usage: npm run simulate -- --scenario ${SCENARIOS.join("|")} [options]

  --url URL            Rewind's address (default http://127.0.0.1:3000, or PORT from the environment)
  --key KEY            an API key with the scopes ${SIMULATOR_SCOPES.join(", ")};
                       without one, the simulator's own key in the local database (DATABASE_URL, .env)
                       is used, created on the first run and kept in data/simulator-key-….json
  --secret SECRET      the key's signing secret (leave out for a key created with --unsigned)
  --duration SECONDS   stop after this long at the latest (default: healthy 60, emergency 180,
                       gradual and gradual-ttft 1200, cost and bad-known-good 600)
  --speed X            traffic multiplier (default 1: ~100 requests/s over three targets)
  --cron-secret C      run monitoring cycles through /api/cron/monitor (for a server with MONITOR_SCHEDULER=off)
  --linger             after the scenario's outcome, keep serving traffic (reporting the served flags per
                       request) until --duration ends: e.g. to re-enable kill switches after an emergency
  --via ingest|otlp|otlp-metrics|litellm
                       how traffic reaches Rewind: signed /api/v1/ingest (default), OTLP/JSON GenAI spans
                       to /api/otlp/v1/traces, OTLP GenAI metrics (delta exponential histograms, protobuf,
                       every 10 s) to /api/otlp/v1/metrics, or LiteLLM payloads to /api/integrations/litellm
  -h, --help           this help`;

function fail(message: string): never {
  usageError(usage, message);
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number, got "${text}"`);
  return value;
}

async function main() {
  const values = parseOptions(usage, {
    scenario: { type: "string" },
    url: { type: "string" },
    key: { type: "string" },
    secret: { type: "string" },
    duration: { type: "string" },
    speed: { type: "string" },
    "cron-secret": { type: "string" },
    linger: { type: "boolean" },
    via: { type: "string" },
  });
  const scenario = values.scenario as Scenario | undefined;
  if (!scenario || !SCENARIOS.includes(scenario)) fail(`--scenario must be one of ${SCENARIOS.join(", ")}`);
  if (values.secret !== undefined && values.key === undefined) fail("--secret goes with --key");
  const via = values.via as Via | undefined;
  if (via !== undefined && !VIAS.includes(via)) fail(`--via must be one of ${VIAS.join(", ")}, got "${via}"`);

  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const result = await simulate({
    scenario,
    url: values.url ?? `http://127.0.0.1:${process.env.PORT || 3000}`,
    ...(values.key !== undefined && { key: values.key }),
    ...(values.secret !== undefined && { secret: values.secret }),
    ...(values.duration !== undefined && { durationSeconds: positive("duration", values.duration) }),
    ...(values.speed !== undefined && { speed: positive("speed", values.speed) }),
    ...(values["cron-secret"] !== undefined && { cronSecret: values["cron-secret"] }),
    ...(values.linger && { linger: true }),
    ...(via !== undefined && { via }),
    signal: controller.signal,
  });
  if (result.outcome === "no-rollback" || result.outcome === "rollback-ended") process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(`\n${error instanceof SimulatorError ? error.message : describeFailure(error)}`);
    process.exit(1);
  },
);
