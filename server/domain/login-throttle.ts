// Sign-in throttling rule: after MAX_FAILURES failed attempts for one email within WINDOW_MS,
// refuse further attempts until the oldest of those failures leaves the window.
export const MAX_LOGIN_FAILURES = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** When sign-in is allowed again, or null when it is allowed now. `failures` may be in any order. */
export function loginRetryAt(failures: readonly Date[], now: Date): Date | null {
  const recent = failures
    .map((at) => at.getTime())
    .filter((at) => at > now.getTime() - LOGIN_FAILURE_WINDOW_MS)
    .sort((a, b) => b - a);
  if (recent.length < MAX_LOGIN_FAILURES) return null;
  const oldestCounted = recent[MAX_LOGIN_FAILURES - 1] as number;
  return new Date(oldestCounted + LOGIN_FAILURE_WINDOW_MS);
}
