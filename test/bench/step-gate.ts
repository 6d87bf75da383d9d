// The step gate's error rates on simulated rollbacks (`npm run bench -- --only step-gate`): how often equal
// arms end a rollback early (false positives, to stay at or below the 5% significance) and how often a real
// difference is caught (power). Figures are shares of 2,000 simulated rollbacks with two looks each.
import { simulateRollbacks, type ArmModel } from "../unit/domain/step-gate-simulation";
import type { Figure } from "./lib";

const RUNS = 2_000;
const healthy: ArmModel = { errorRate: 0.05, medianMs: 1_500 };

export function stepGateRates(): Figure[] {
  const scenario = (name: string, current: ArmModel, requestsPerArm: number, knownGood = healthy): Figure[] => {
    const rates = simulateRollbacks({ runs: RUNS, seed: 42, knownGood, current, requestsPerArm, looks: 2 });
    return [
      { benchmark: "step-gate", metric: `${name}: FAST_FORWARD`, value: rates.FAST_FORWARD * 100, unit: "%" },
      { benchmark: "step-gate", metric: `${name}: ABORT`, value: rates.ABORT * 100, unit: "%" },
    ];
  };
  return [
    ...scenario("equal arms, 200/arm (false positives)", healthy, 200),
    ...scenario("equal arms, 2,000/arm (false positives)", healthy, 2_000),
    ...scenario("2× error rate (5%→10%), 200/arm (power)", { ...healthy, errorRate: 0.1 }, 200),
    ...scenario("2× error rate (5%→10%), 500/arm (power)", { ...healthy, errorRate: 0.1 }, 500),
    ...scenario("2× error rate (10%→20%), 200/arm (power)", { ...healthy, errorRate: 0.2 }, 200, {
      ...healthy,
      errorRate: 0.1,
    }),
    ...scenario("1.5× median latency, 200/arm (power)", { ...healthy, medianMs: 2_250 }, 200),
    ...scenario("known-good 2× errors, 200/arm (ABORT power)", healthy, 200, { ...healthy, errorRate: 0.1 }),
  ];
}
