// Sign-in throttling: growing delays, never a lock. Each limit counts the failed sign-ins (password checked and
// wrong) of the last day that share its key with the attempt; past its free failures, the next attempt waits a
// delay after the latest of them that doubles with each further failure, up to a cap. Refused attempts are
// recorded apart and do not count, so hammering during a delay does not lengthen anyone's wait.
//
// The owner shares only the account-wide limit with an attacker on another client, and that one is much
// gentler: an attacker must send failures from 15 or more addresses to keep its one-minute cap busy.

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;

/** How far back failures count. Longer than the time to reach any cap, so a capped client stays capped. */
export const SIGN_IN_FAILURE_WINDOW_MS = 24 * 60 * MINUTE_MS;

export interface DelaySchedule {
  /** Failures that cost no wait. */
  free: number;
  /** The wait after the first failure beyond the free ones; it doubles with each further failure. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * The figures, documented in docs/ARCHITECTURE.md. A client that only guesses one account gets 5 attempts,
 * then waits 1 s, 2 s, 4 s … 15 min: about 20 guesses in the first 20 minutes, then 4 an hour.
 */
export const SIGN_IN_LIMITS = {
  /** One client on one account: the limit that stops guessing a password. */
  accountFromClient: { free: 5, firstDelayMs: SECOND_MS, maxDelayMs: 15 * MINUTE_MS },
  /** One client on any account (password spraying); roomier, as an office behind one address shares it. */
  client: { free: 20, firstDelayMs: SECOND_MS, maxDelayMs: 15 * MINUTE_MS },
  /** Every client on one account: the ceiling for guessing from many addresses, gentle because the owner shares it. */
  account: { free: 50, firstDelayMs: SECOND_MS, maxDelayMs: MINUTE_MS },
} as const satisfies Record<string, DelaySchedule>;

export type SignInLimit = keyof typeof SIGN_IN_LIMITS;

/**
 * The client of an attempt when it cannot be told apart from others. All such attempts are one client, so the
 * per-client limit across accounts, which would then hold every account back, does not apply to it.
 */
export const UNKNOWN_CLIENT = "unknown";

/** The wait after the latest of `failures` counted failures. */
export function delayAfter(schedule: DelaySchedule, failures: number): number {
  if (failures < schedule.free) return 0;
  // Bounded exponent: the cap is reached long before, and 2 ** 1024 would be Infinity.
  return Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.min(failures - schedule.free, 40));
}

export interface CountedFailure {
  email: string;
  client: string;
  at: Date;
}

export interface SignInRefusal {
  retryAt: Date;
  /** Whole seconds until `retryAt`, at least 1, for the message. */
  retryAfterSeconds: number;
  limit: SignInLimit;
}

/**
 * Whether an attempt for `email` from `client` must wait, given the counted failures of the window (any may be
 * passed; the ones of other keys and older than the window are ignored). Null when it may go on now; otherwise
 * the latest retry time of the limits it exceeds.
 */
export function signInRefusal(
  attempt: { email: string; client: string; now: Date },
  failures: readonly CountedFailure[],
): SignInRefusal | null {
  const since = attempt.now.getTime() - SIGN_IN_FAILURE_WINDOW_MS;
  const recent = failures.filter((failure) => failure.at.getTime() > since);
  const keys: [SignInLimit, (failure: CountedFailure) => boolean][] = [
    ["accountFromClient", (failure) => failure.email === attempt.email && failure.client === attempt.client],
    ["account", (failure) => failure.email === attempt.email],
  ];
  if (attempt.client !== UNKNOWN_CLIENT) keys.push(["client", (failure) => failure.client === attempt.client]);

  let refusal: SignInRefusal | null = null;
  for (const [limit, matches] of keys) {
    const counted = recent.filter(matches);
    const delay = delayAfter(SIGN_IN_LIMITS[limit], counted.length);
    if (delay === 0) continue;
    const latest = Math.max(...counted.map((failure) => failure.at.getTime()));
    const retryAt = latest + delay;
    if (retryAt > attempt.now.getTime() && (!refusal || retryAt > refusal.retryAt.getTime())) {
      const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - attempt.now.getTime()) / SECOND_MS));
      refusal = { retryAt: new Date(retryAt), retryAfterSeconds, limit };
    }
  }
  return refusal;
}

/**
 * The client address of a request, from X-Forwarded-For, given how many reverse proxies in front of the app
 * append to it (TRUSTED_PROXIES). Each proxy appends the address it received the request from, so the entry
 * `trustedProxies` from the right was written by the outermost trusted proxy; entries left of it are whatever the
 * client sent. The first entry is never used: any client can set it. With no trusted proxy the header is the
 * client's own word (next start fills it from the socket only when the client sent none), and the socket is not
 * visible to the sign-in callback: every attempt is then UNKNOWN_CLIENT.
 */
export function signInClient(forwardedFor: string | null | undefined, trustedProxies: number): string {
  if (trustedProxies < 1 || !forwardedFor) return UNKNOWN_CLIENT;
  const entries = forwardedFor.split(",").map((entry) => entry.trim());
  // Fewer entries than proxies: the request skipped a proxy, and the header is the client's word.
  const entry = entries[entries.length - trustedProxies];
  return (entry !== undefined && clientKey(entry)) || UNKNOWN_CLIENT;
}

/**
 * An IPv4 address as is; an IPv6 address as its /64 network, the block one subscriber gets (one host can use
 * any address in it). A port some proxies add is dropped. Null for anything else.
 */
function clientKey(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  const address = bracketed ? bracketed[1]! : (/^([\d.]+):\d{1,5}$/.exec(entry)?.[1] ?? entry);
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address.toLowerCase());
  if (!groups) return null;
  // An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is that IPv4 client.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted IPv4 part), or null. */
function ipv6Groups(text: string): number[] | null {
  let rest = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.[\d.]+)$/.exec(rest);
  if (dotted) {
    if (!isIPv4(dotted[2]!)) return null;
    const [a, b, c, d] = dotted[2]!.split(".").map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    rest = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const parse = (half: string) => (half === "" ? [] : half.split(":"));
  const [head, after] = [parse(halves[0]!), halves.length === 2 ? parse(halves[1]!) : []];
  if (![...head, ...after].every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const known = head.length + after.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const zeros = Array.from({ length: 8 - known }, () => 0);
  return [...head, ...zeros, ...after]
    .map((group) => (typeof group === "number" ? group : parseInt(group, 16)))
    .concat(tail);
}
