// Simulated gradual rollbacks for the step gate: arms drawn from known distributions, so the unit tests and
// `npm run bench -- --only step-gate` can count how often the gate is fooled by equal arms (false positives)
// and how often it catches a real difference (power).
import { emptyTotals, type MetricTotals } from "@/server/domain/metrics";
import { stepGate, type StepOutcome } from "@/server/domain/step-gate";
import { logNormal, policy, rng } from "./fixtures";

export interface ArmModel {
  errorRate: number;
  /** Median latency (ms); latencies are log-normal with sigma 0.5, like LLM calls. */
  medianMs: number;
}

function drawArm(random: () => number, model: ArmModel, requests: number): MetricTotals {
  const totals = emptyTotals();
  totals.requestCount = requests;
  for (let i = 0; i < requests; i++) {
    if (random() < model.errorRate) totals.errorCount += 1;
    totals.latency.add(logNormal(random, Math.log(model.medianMs), 0.5));
    totals.costMicros += 4_000;
  }
  return totals;
}

export interface SimulationInput {
  runs: number;
  seed: number;
  knownGood: ArmModel;
  current: ArmModel;
  /** Requests each arm serves between two looks. */
  requestsPerArm: number;
  /** Looks per rollback (steps − 1 for the default 25/50/100). */
  looks: number;
  significance?: number;
}

/** Share of simulated rollbacks in which any look ended with each outcome other than ADVANCE. */
export function simulateRollbacks(input: SimulationInput): Record<Exclude<StepOutcome, "ADVANCE">, number> {
  const random = rng(input.seed);
  const judged = policy({ maxErrorRate: 0.5, maxP95LatencyMs: 600_000, maxCostPerRequestUsd: 100 });
  const counts = { HOLD: 0, FAST_FORWARD: 0, ABORT: 0 };
  for (let run = 0; run < input.runs; run++) {
    for (let look = 0; look < input.looks; look++) {
      const check = stepGate({
        knownGood: drawArm(random, input.knownGood, input.requestsPerArm),
        current: drawArm(random, input.current, input.requestsPerArm),
        policy: judged,
        minRequests: 50,
        significance: input.significance ?? 0.05,
        looks: input.looks,
      });
      if (check.outcome !== "ADVANCE") {
        counts[check.outcome] += 1;
        break;
      }
    }
  }
  return {
    HOLD: counts.HOLD / input.runs,
    FAST_FORWARD: counts.FAST_FORWARD / input.runs,
    ABORT: counts.ABORT / input.runs,
  };
}
