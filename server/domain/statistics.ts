// Exact tests for comparing two arms of traffic at the counts a rollback step sees (tens to thousands of
// requests), where normal approximations mislead. Checked against published tables in the unit tests.

/** ln(n!) exactly summed up to 256, Stirling's series beyond (error below 1e-15 there). */
const SMALL = 256;
const smallLogFactorials = (() => {
  const table = new Float64Array(SMALL + 1);
  for (let n = 2; n <= SMALL; n++) table[n] = (table[n - 1] ?? 0) + Math.log(n);
  return table;
})();

export function logFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`logFactorial needs a whole number ≥ 0, got ${n}`);
  if (n <= SMALL) return smallLogFactorials[n] ?? 0;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260)));
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** Two arms' counts of something (errors, slow requests) out of their requests. */
export interface TwoByTwo {
  /** Events in arm A, and A's trials. */
  a: number;
  aTotal: number;
  b: number;
  bTotal: number;
}

function check({ a, aTotal, b, bTotal }: TwoByTwo): void {
  for (const [name, value] of Object.entries({ a, aTotal, b, bTotal })) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
  }
  if (a > aTotal || b > bTotal) throw new RangeError("Events must not exceed trials");
}

/**
 * The hypergeometric law of A's events given both margins: with `events` = a + b events among all trials,
 * how many fall in A's `aTotal` trials if the arms do not differ. Returns the support and log-probabilities.
 */
function conditionalLaw({ a, aTotal, b, bTotal }: TwoByTwo) {
  const events = a + b;
  const trials = aTotal + bTotal;
  const low = Math.max(0, events - bTotal);
  const high = Math.min(events, aTotal);
  const denominator = logChoose(trials, events);
  const logP = (k: number) => logChoose(aTotal, k) + logChoose(bTotal, events - k) - denominator;
  return { low, high, logP };
}

/**
 * Fisher's exact test, one-sided: the probability, if both arms shared one rate, of A holding at least as
 * many of the events as it did. Small → A's rate is higher than B's.
 */
export function fisherExactGreater(table: TwoByTwo): number {
  check(table);
  const { high, logP } = conditionalLaw(table);
  let p = 0;
  for (let k = table.a; k <= high; k++) p += Math.exp(logP(k));
  return Math.min(1, p);
}

/**
 * Fisher's exact test, two-sided as R's fisher.test computes it: the total probability of the tables no more
 * likely than the observed one (with R's relative tolerance of 1e-7 for ties).
 */
export function fisherExactTwoSided(table: TwoByTwo): number {
  check(table);
  const { low, high, logP } = conditionalLaw(table);
  const observed = logP(table.a);
  let p = 0;
  for (let k = low; k <= high; k++) {
    const lp = logP(k);
    if (lp <= observed + 1e-7) p += Math.exp(lp);
  }
  return Math.min(1, p);
}
