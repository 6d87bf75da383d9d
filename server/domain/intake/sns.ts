// Amazon SNS messages carrying CloudWatch alarms: the envelope and its signature (the string AWS signs, which
// certificate URLs are AWS's), the alarm inside `Message`, and which Rewind target an alarm speaks for.
// Receiving them is server/services/intake/sns.ts, checking a signature sns-signature.ts (node:crypto, kept out
// of this file because the Settings page imports it); the setup is docs/INTEGRATIONS.md.
import { z } from "zod";
import type { Alert } from "../alertmanager";
import { safeText } from "../input-bounds";
import { slugSchema } from "../targets";

/** AWS refuses nothing older, and neither does Rewind: a captured message replays for at most this long. */
export const MAX_MESSAGE_AGE_MS = 60 * 60 * 1000;
/** Clocks differ: a message may be dated this far ahead of Rewind's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export const SNS_MESSAGE_TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] as const;

const text = (max: number) =>
  safeText({ error: "Must be text" }).max(max, `At most ${max.toLocaleString("en-US")} characters`);
/** `arn:aws:sns:us-east-2:123456789012:MyTopic` (and the aws-cn, aws-us-gov partitions). */
export const topicArnSchema = z
  .string({ error: "Must be text" })
  .trim()
  .max(256, "At most 256 characters")
  .regex(
    /^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/,
    "Not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)",
  );

/**
 * The JSON body SNS posts to an HTTP/S subscription (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
 * …/http-subscription-confirmation-json.html, …/http-unsubscribe-confirmation-json.html). Fields Rewind does not
 * read are allowed and ignored; the ones it reads are bounded (SNS messages are at most 256 KB).
 */
export const snsMessageSchema = z.object({
  Type: z.enum(SNS_MESSAGE_TYPES, { error: `Must be one of ${SNS_MESSAGE_TYPES.join(", ")}` }),
  MessageId: text(256).min(1, "Required"),
  TopicArn: topicArnSchema,
  Subject: text(1_000).optional(),
  Message: text(300_000),
  Timestamp: z.iso.datetime({ error: "Must be an ISO 8601 time such as 2012-04-25T21:49:25.719Z" }),
  SignatureVersion: z.enum(["1", "2"], { error: "Only SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA)" }),
  Signature: z.base64({ error: "Must be base64" }).max(4_096, "At most 4,096 characters"),
  SigningCertURL: text(2_048).min(1, "Required"),
  SubscribeURL: text(4_096).optional(),
  Token: text(4_096).optional(),
  UnsubscribeURL: text(4_096).optional(),
});
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/**
 * The string SNS signs: "Key\nvalue\n" for each field, in this order
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html):
 * a Notification signs Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type; the two
 * confirmations sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 */
export function stringToSign(message: SnsMessage): string {
  const keys =
    message.Type === "Notification"
      ? (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const)
      : (["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const);
  return keys
    .filter((key) => key !== "Subject" || message.Subject !== undefined)
    .map((key) => `${key}\n${message[key] ?? ""}\n`)
    .join("");
}

/** Older than an hour, or dated ahead of `now` by more than the clock skew: refused. */
export function timestampProblem(timestamp: string, now: Date): string | null {
  const age = now.getTime() - Date.parse(timestamp);
  if (age > MAX_MESSAGE_AGE_MS) return "The message is older than 1 hour (Timestamp): refused as a possible replay";
  if (age < -MAX_CLOCK_SKEW_MS) return "The message is dated more than 5 minutes ahead (Timestamp)";
  return null;
}

// ---- Which hosts are AWS's ----------------------------------------------------------------------------------

/** SNS_CERTIFICATE_HOSTS when unset: SNS's regional endpoints, China's included. */
export const DEFAULT_CERTIFICATE_HOSTS = "sns.*.amazonaws.com,sns.*.amazonaws.com.cn";

/** A host pattern: DNS labels, `*` standing for exactly one label; an exact host may carry a port. */
export interface HostPattern {
  labels: string[];
  port: string | null;
  /** No wildcard and a loopback address: the only patterns under which plain http: is taken (tests, docs). */
  loopback: boolean;
}

const LABEL = /^(?:\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|\[::1\]|localhost)$/;

/** Parses a comma list of patterns (`sns.*.amazonaws.com`, `127.0.0.1:4443`); throws with the bad one named. */
export function parseHostPatterns(list: string): HostPattern[] {
  const patterns = list
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "");
  if (patterns.length === 0) throw new Error("expected at least one host pattern");
  return patterns.map((pattern) => {
    const match = /^(\[::1\]|[^:]+)(?::(\d{1,5}))?$/.exec(pattern);
    const host = match?.[1] ?? "";
    const labels = host === "[::1]" ? [host] : host.split(".");
    const wildcard = labels.includes("*");
    const valid = match !== null && (host === "[::1]" || labels.every((label) => LABEL.test(label)));
    if (!valid || (wildcard && match[2] !== undefined) || (wildcard && labels.filter((l) => l !== "*").length < 2)) {
      throw new Error(
        `"${pattern}" is not a host pattern: DNS labels with * for one whole label (sns.*.amazonaws.com), or an exact host with an optional port`,
      );
    }
    return { labels, port: match[2] ?? null, loopback: !wildcard && LOOPBACK.test(host) };
  });
}

function hostMatches(url: URL, pattern: HostPattern): boolean {
  const host = url.hostname.toLowerCase();
  const labels = host.startsWith("[") ? [host] : host.split(".");
  if (labels.length !== pattern.labels.length) return false;
  if (!pattern.labels.every((label, i) => label === "*" || label === labels[i])) return false;
  // A port is named by exact patterns only; wildcard patterns take the scheme's default port.
  return (url.port || null) === pattern.port;
}

/**
 * Whether Rewind may fetch this URL as SNS's (its certificate, or the SubscribeURL): https: on a host the
 * patterns allow, no credentials; plain http: only for a loopback host that a pattern names exactly.
 */
export function awsUrlProblem(
  raw: string,
  patterns: readonly HostPattern[],
  kind: "certificate" | "subscribe",
): string | null {
  const field = kind === "certificate" ? "SigningCertURL" : "SubscribeURL";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${field} is not a URL`;
  }
  const matching = patterns.filter((pattern) => hostMatches(url, pattern));
  const allowed =
    url.username === "" &&
    url.password === "" &&
    (url.protocol === "https:" || (url.protocol === "http:" && matching.some((pattern) => pattern.loopback))) &&
    matching.length > 0;
  if (!allowed) return `${field} ${url.protocol}//${url.host} is not an Amazon SNS host (SNS_CERTIFICATE_HOSTS)`;
  if (kind === "certificate" && !url.pathname.endsWith(".pem")) return `${field} does not name a .pem certificate`;
  if (kind === "subscribe" && url.searchParams.get("Action") !== "ConfirmSubscription") {
    return `${field} is not a ConfirmSubscription link`;
  }
  return null;
}

// ---- The CloudWatch alarm and its target ---------------------------------------------------------------------

export const ALARM_STATES = ["ALARM", "OK", "INSUFFICIENT_DATA"] as const;

const dimensionSchema = z
  .object({
    name: text(255).optional(),
    value: text(1_024).optional(),
    Name: text(255).optional(),
    Value: text(1_024).optional(),
  })
  .transform((dimension) => ({ name: dimension.name ?? dimension.Name, value: dimension.value ?? dimension.Value }));

/**
 * What CloudWatch publishes to SNS on a state change (a JSON string in `Message`). Only these fields are read;
 * metric math alarms carry `Trigger.Metrics` instead of a metric name and dimensions.
 */
export const cloudWatchAlarmSchema = z.object({
  AlarmName: text(255).min(1, "Required"),
  AlarmArn: text(1_600).optional(),
  AWSAccountId: text(64).optional(),
  Region: text(128).optional(),
  NewStateValue: z.enum(ALARM_STATES, { error: `Must be one of ${ALARM_STATES.join(", ")}` }),
  NewStateReason: text(10_000).optional(),
  StateChangeTime: text(64).optional(),
  Trigger: z
    .object({
      MetricName: text(255).optional(),
      Namespace: text(255).optional(),
      Threshold: z.number().optional(),
      Dimensions: z.array(dimensionSchema).max(30, "At most 30 dimensions").optional(),
    })
    .optional(),
});
export type CloudWatchAlarm = z.infer<typeof cloudWatchAlarmSchema>;

export const ALARM_LEVELS = ["critical", "emergency"] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];

/** One row of the alarm → target table (Settings → Integrations). */
export const alarmTargetSchema = z.object({
  alarmName: z
    .string({ error: "Must be text" })
    .trim()
    .min(1, "Alarm name is required")
    .max(255, "At most 255 characters")
    .refine((name) => [...name].every((char) => char.charCodeAt(0) >= 0x20), "No control characters"),
  target: slugSchema,
  level: z.enum(ALARM_LEVELS, { error: "Level must be critical or emergency" }).default("critical"),
});

/** What an admin sets: the topics whose subscriptions Rewind confirms, and the explicit alarm → target table. */
export const snsSettingsSchema = z.object({
  allowedTopicArns: z
    .array(topicArnSchema)
    .max(100, "At most 100 topics")
    .refine((arns) => new Set(arns).size === arns.length, "Each topic once"),
  alarmTargets: z
    .array(alarmTargetSchema)
    .max(500, "At most 500 alarms")
    .refine(
      (rows) => new Set(rows.map((row) => row.alarmName)).size === rows.length,
      "Each alarm name once: one alarm speaks for one target",
    ),
});
export type SnsSettings = z.infer<typeof snsSettingsSchema>;
export const emptySnsSettings: SnsSettings = { allowedTopicArns: [], alarmTargets: [] };

export const ALARM_NAME_PREFIX = "rewind:";
export const TARGET_DIMENSION = "RewindTarget";

export interface AlarmTarget {
  slug: string;
  level: AlarmLevel;
  /** Which rule found it, first match wins: the table, the name, a dimension. */
  rule: "table" | "name" | "dimension";
}

/**
 * The target an alarm speaks for, first found: its row in the alarm → target table (with that row's level);
 * a name `rewind:<target-slug>:<anything>`; a `RewindTarget` dimension of its metric. The last two are critical.
 * Null when none applies, or when what the name or dimension names is not a slug.
 */
export function alarmTarget(alarm: CloudWatchAlarm, table: SnsSettings["alarmTargets"]): AlarmTarget | null {
  const row = table.find((entry) => entry.alarmName === alarm.AlarmName);
  if (row) return { slug: row.target, level: row.level, rule: "table" };
  if (alarm.AlarmName.startsWith(ALARM_NAME_PREFIX)) {
    const rest = alarm.AlarmName.slice(ALARM_NAME_PREFIX.length);
    const end = rest.indexOf(":");
    const slug = slugSchema.safeParse(end === -1 ? "" : rest.slice(0, end));
    if (slug.success && slug.data === rest.slice(0, end)) return { slug: slug.data, level: "critical", rule: "name" };
  }
  const dimension = alarm.Trigger?.Dimensions?.find((entry) => entry.name === TARGET_DIMENSION);
  const slug = slugSchema.safeParse(dimension?.value ?? "");
  if (slug.success && slug.data === dimension?.value) return { slug: slug.data, level: "critical", rule: "dimension" };
  return null;
}

/** One alarm across messages: its ARN, else its account, region and name. */
export function alarmKey(alarm: CloudWatchAlarm): string {
  return `cloudwatch:${alarm.AlarmArn ?? [alarm.AWSAccountId ?? "", alarm.Region ?? "", alarm.AlarmName].join(":")}`;
}

/**
 * An ALARM or OK state change as the alert the Alertmanager path judges (server/domain/alertmanager.ts): ALARM
 * fires at the mapping's level, OK resolves, and the key ties the two together so OK withdraws what ALARM
 * proposed. INSUFFICIENT_DATA is no alert (null): missing data is neither a breach nor a recovery.
 */
export function alarmAsAlert(alarm: CloudWatchAlarm, target: AlarmTarget): Alert | null {
  if (alarm.NewStateValue === "INSUFFICIENT_DATA") return null;
  const trigger = alarm.Trigger;
  const metric = trigger?.MetricName ? [trigger.Namespace, trigger.MetricName].filter(Boolean).join("/") : null;
  return {
    status: alarm.NewStateValue === "ALARM" ? "firing" : "resolved",
    labels: { alertname: alarm.AlarmName, severity: target.level, rewind_target: target.slug },
    annotations: {
      ...(alarm.NewStateReason && { summary: alarm.NewStateReason }),
      ...(metric && { metric }),
    },
    fingerprint: alarmKey(alarm),
    ...(alarm.StateChangeTime && { startsAt: alarm.StateChangeTime }),
  };
}
