// POST /api/integrations/sns: CloudWatch alarms delivered by an Amazon SNS HTTPS subscription. Every message is
// checked before anything else happens: its age, the certificate URL's host, the signature. Then confirmations
// of allowed topics are confirmed, and alarms become verdicts through the path Alertmanager's alerts take
// (external-alerts.ts). Rules and setup: docs/INTEGRATIONS.md; the security argument: docs/SECURITY.md.
import "server-only";
import type { Db } from "../../db";
import { env } from "../../env.js";
import { fieldIssues, type FieldIssues } from "../../domain/errors";
import {
  alarmAsAlert,
  alarmTarget,
  awsUrlProblem,
  cloudWatchAlarmSchema,
  DEFAULT_CERTIFICATE_HOSTS,
  MAX_MESSAGE_AGE_MS,
  parseHostPatterns,
  snsMessageSchema,
  timestampProblem,
  type HostPattern,
  type SnsMessage,
  type SnsSettings,
} from "../../domain/intake/sns";
import { verifySignature } from "../../domain/intake/sns-signature";
import { appendAudit, systemActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { alertTargetSelect, judgeAlerts, type AlertTargetOutcome } from "./external-alerts";
import { recordRefusal } from "./intake-refusals";
import { mediaTypeOf } from "./receive";
import { readSnsSettings } from "./sns-settings";

/** SNS posts `text/plain; charset=UTF-8`; JSON is taken too (curl, replays by hand). */
export const SNS_CONTENT_TYPES = ["text/plain", "application/json"] as const;
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const CACHED_CERTIFICATES = 32;
const FETCH_TIMEOUT_MS = 10_000;

/** A refusal with its HTTP status; the route answers `{ error: { code, message, issues? } }`. */
export class SnsRefusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 415 | 422 | 502,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssues,
  ) {
    super(message);
    this.name = "SnsRefusal";
  }
}

export interface SnsRequest {
  body: Buffer;
  contentType: string | null;
  /** x-amz-sns-message-type */
  messageType: string | null;
  /** x-amz-sns-topic-arn */
  topicArn: string | null;
}

export interface SnsOptions {
  now: Date;
  /** Which hosts are SNS's (default: SNS_CERTIFICATE_HOSTS, else sns.*.amazonaws.com and .com.cn). */
  certificateHosts?: readonly HostPattern[];
  fetch?: typeof fetch;
}

export type SnsResult =
  | { type: "SubscriptionConfirmation"; topicArn: string; confirmed: true }
  | { type: "UnsubscribeConfirmation"; topicArn: string; recorded: true }
  | { type: "Notification"; duplicate: true; messageId: string }
  | {
      type: "Notification";
      alarm: string;
      state: "ALARM" | "OK" | "INSUFFICIENT_DATA";
      target: string;
      rule: "table" | "name" | "dimension";
      /** INSUFFICIENT_DATA: recorded nowhere, nothing decided. */
      ignored: boolean;
      monitoringPaused: boolean;
      outcome: AlertTargetOutcome | null;
    };

let configuredHosts: HostPattern[] | undefined;

/**
 * SNS_CERTIFICATE_HOSTS, read once. Tests point it at a local server by naming its loopback address and port
 * exactly (`127.0.0.1:43123`), the only form under which plain http: is fetched.
 */
export function certificateHosts(): HostPattern[] {
  if (configuredHosts) return configuredHosts;
  const value = env.SNS_CERTIFICATE_HOSTS || DEFAULT_CERTIFICATE_HOSTS;
  try {
    configuredHosts = parseHostPatterns(value);
  } catch (error) {
    throw new Error(`SNS_CERTIFICATE_HOSTS: ${error instanceof Error ? error.message : String(error)}`);
  }
  return configuredHosts;
}

/** Certificates by URL: SNS signs with a handful, rotated rarely. Bounded; the oldest entry goes first. */
const certificates = new Map<string, string>();

async function signingCertificate(url: string, fetcher: typeof fetch): Promise<string> {
  const cached = certificates.get(url);
  if (cached !== undefined) return cached;
  let pem: string;
  try {
    const response = await fetcher(url, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > MAX_CERTIFICATE_BYTES) throw new Error("larger than a certificate");
    pem = body.toString("utf8");
  } catch (error) {
    throw new SnsRefusal(
      502,
      "BAD_GATEWAY",
      `Could not fetch the signing certificate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (certificates.size >= CACHED_CERTIFICATES) certificates.delete(certificates.keys().next().value!);
  certificates.set(url, pem);
  return pem;
}

function parseBody(request: SnsRequest): SnsMessage {
  const mediaType = mediaTypeOf(request.contentType);
  if (mediaType === null || !(SNS_CONTENT_TYPES as readonly string[]).includes(mediaType)) {
    throw new SnsRefusal(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Type ${mediaType ?? "(none)"} is not an SNS message: SNS sends text/plain (application/json is taken too)`,
    );
  }
  if (!request.messageType) {
    throw new SnsRefusal(400, "BAD_REQUEST", "Not an SNS message: the x-amz-sns-message-type header is missing");
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body.toString("utf8"));
  } catch (error) {
    throw new SnsRefusal(
      400,
      "BAD_REQUEST",
      `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = snsMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    const [path, message] = Object.entries(issues)[0] ?? ["_", "Invalid"];
    throw new SnsRefusal(422, "VALIDATION", `Invalid input: ${path}: ${message}`, issues);
  }
  const message = parsed.data;
  if (message.Type !== "Notification") {
    const missing = (["SubscribeURL", "Token"] as const).filter((key) => message[key] === undefined);
    if (missing.length > 0) {
      const issues = Object.fromEntries(missing.map((key) => [key, `Required in a ${message.Type}`]));
      throw new SnsRefusal(422, "VALIDATION", `Invalid input: ${missing.join(", ")}: required`, issues);
    }
  }
  if (request.messageType !== message.Type) {
    throw new SnsRefusal(400, "BAD_REQUEST", "x-amz-sns-message-type does not match the message's Type");
  }
  if (request.topicArn !== null && request.topicArn !== message.TopicArn) {
    throw new SnsRefusal(400, "BAD_REQUEST", "x-amz-sns-topic-arn does not match the message's TopicArn");
  }
  return message;
}

/** Age, certificate host and signature: a message failing any is refused before anything is read or written. */
async function authenticate(message: SnsMessage, hosts: readonly HostPattern[], options: SnsOptions) {
  const stale = timestampProblem(message.Timestamp, options.now);
  if (stale) throw new SnsRefusal(401, "UNAUTHORIZED", stale, { Timestamp: stale });
  const hostProblem = awsUrlProblem(message.SigningCertURL, hosts, "certificate");
  if (hostProblem) throw new SnsRefusal(403, "FORBIDDEN", hostProblem, { SigningCertURL: hostProblem });
  const pem = await signingCertificate(message.SigningCertURL, options.fetch ?? fetch);
  const check = verifySignature(message, pem, options.now);
  if (!check.ok) throw new SnsRefusal(401, "UNAUTHORIZED", check.reason, { Signature: check.reason });
}

/**
 * A message SNS may deliver twice (or someone may replay within the hour) acts once: its MessageId is kept as a
 * seen signature until it would be refused as stale anyway. False when it was seen already.
 */
async function firstDelivery(db: Db, message: SnsMessage): Promise<boolean> {
  const signature = `sns:${message.MessageId}`;
  if (await db.seenSignature.findUnique({ where: { signature }, select: { signature: true } })) return false;
  try {
    await db.seenSignature.create({
      data: { signature, expiresAt: new Date(Date.parse(message.Timestamp) + MAX_MESSAGE_AGE_MS) },
      select: { signature: true },
    });
    return true;
  } catch {
    // Another delivery of the same message took it first.
    return false;
  }
}

async function audit(db: Db, action: string, message: SnsMessage, reason: string, now: Date) {
  await retryOnConflict(() =>
    db.$transaction((tx) =>
      appendAudit(
        tx,
        {
          actor: systemActor,
          action,
          entityType: "SnsTopic",
          entityId: message.TopicArn,
          after: { messageId: message.MessageId, timestamp: message.Timestamp },
          reason,
        },
        now,
      ),
    ),
  );
}

async function confirmSubscription(db: Db, message: SnsMessage, hosts: readonly HostPattern[], options: SnsOptions) {
  const subscribeUrl = message.SubscribeURL ?? "";
  const problem = awsUrlProblem(subscribeUrl, hosts, "subscribe");
  if (problem) throw new SnsRefusal(403, "FORBIDDEN", problem, { SubscribeURL: problem });
  try {
    const response = await (options.fetch ?? fetch)(subscribeUrl, {
      redirect: "error",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`SNS answered ${response.status}`);
  } catch (error) {
    // The URL carries the subscription's token: it is neither logged nor repeated.
    throw new SnsRefusal(
      502,
      "BAD_GATEWAY",
      `Could not confirm the subscription: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  await audit(
    db,
    "integration.sns_subscription_confirmed",
    message,
    "Topic allowed in Settings → Integrations",
    options.now,
  );
}

async function receiveAlarm(db: Db, message: SnsMessage, settings: SnsSettings, now: Date): Promise<SnsResult> {
  let json: unknown;
  try {
    json = JSON.parse(message.Message);
  } catch {
    throw new SnsRefusal(422, "VALIDATION", "Message is not a CloudWatch alarm (not JSON)", {
      Message: "Not a CloudWatch alarm: the Message is not JSON",
    });
  }
  const parsed = cloudWatchAlarmSchema.safeParse(json);
  if (!parsed.success) {
    const issues = Object.fromEntries(
      Object.entries(fieldIssues(parsed.error)).map(([path, text]) => [`Message.${path}`, text]),
    );
    const [path, text] = Object.entries(issues)[0] ?? ["Message", "Invalid"];
    throw new SnsRefusal(422, "VALIDATION", `Not a CloudWatch alarm: ${path}: ${text}`, issues);
  }
  const alarm = parsed.data;
  const found = alarmTarget(alarm, settings.alarmTargets);
  const unknown = async (status: 404 | 422, reason: string) => {
    await recordRefusal(
      db,
      {
        action: "integration.alarm_target_unknown",
        entityType: "CloudWatchAlarm",
        entityId: alarm.AlarmName,
        reason,
        after: { topicArn: message.TopicArn, target: found?.slug ?? null },
      },
      now,
    );
    return new SnsRefusal(status, status === 404 ? "NOT_FOUND" : "VALIDATION", reason, {
      "Message.AlarmName": reason,
    });
  };
  if (!found) {
    throw await unknown(
      422,
      `Alarm ${alarm.AlarmName} names no target: add it to Settings → Integrations, name it rewind:<target>:…, or give its metric a RewindTarget dimension`,
    );
  }
  const target = await db.target.findUnique({ where: { slug: found.slug }, select: alertTargetSelect });
  if (!target) throw await unknown(404, `No such target: ${found.slug} (alarm ${alarm.AlarmName}, by ${found.rule})`);

  const base = {
    type: "Notification" as const,
    alarm: alarm.AlarmName,
    state: alarm.NewStateValue,
    target: found.slug,
    rule: found.rule,
  };
  const alert = alarmAsAlert(alarm, found);
  if (alert === null) return { ...base, ignored: true, monitoringPaused: false, outcome: null };
  const judged = await judgeAlerts(
    db,
    { source: "cloudwatch", targets: [target], alertsBySlug: new Map([[target.slug, [alert]]]) },
    now,
  );
  return { ...base, ignored: false, monitoringPaused: judged.monitoringPaused, outcome: judged.targets[0] ?? null };
}

/**
 * One SNS delivery. Refusals throw SnsRefusal: 415 another media type; 400 not JSON, no or a contradicting
 * x-amz-sns-* header; 422 a field out of shape (by path), an alarm without a target; 401 stale or a bad
 * signature; 403 a certificate or SubscribeURL off SNS's hosts, a topic no admin allowed; 404 an alarm's target
 * that does not exist; 502 SNS could not be reached. None of them writes anything but, for a refused topic or
 * target, one audit event an hour for admins.
 */
export async function receiveSnsMessage(db: Db, request: SnsRequest, options: SnsOptions): Promise<SnsResult> {
  const hosts = options.certificateHosts ?? certificateHosts();
  const message = parseBody(request);
  await authenticate(message, hosts, options);

  const settings = await readSnsSettings(db);
  if (!settings.allowedTopicArns.includes(message.TopicArn)) {
    const reason = `Topic ${message.TopicArn} is not allowed: an admin adds it in Settings → Integrations`;
    await recordRefusal(
      db,
      {
        action: "integration.sns_topic_refused",
        entityType: "SnsTopic",
        entityId: message.TopicArn,
        reason: `${message.Type} refused: topic not allowed`,
        after: { messageId: message.MessageId, type: message.Type },
      },
      options.now,
    );
    throw new SnsRefusal(403, "FORBIDDEN", reason, { TopicArn: reason });
  }

  if (message.Type === "SubscriptionConfirmation") {
    await confirmSubscription(db, message, hosts, options);
    return { type: message.Type, topicArn: message.TopicArn, confirmed: true };
  }
  if (message.Type === "UnsubscribeConfirmation") {
    await audit(
      db,
      "integration.sns_unsubscribed",
      message,
      "SNS unsubscribed this endpoint; nothing was changed",
      options.now,
    );
    return { type: message.Type, topicArn: message.TopicArn, recorded: true };
  }
  if (!(await firstDelivery(db, message)))
    return { type: "Notification", duplicate: true, messageId: message.MessageId };
  try {
    return await receiveAlarm(db, message, settings, options.now);
  } catch (error) {
    // Nothing was acted on: a retry of the same message must not read as a duplicate.
    await db.seenSignature.deleteMany({ where: { signature: `sns:${message.MessageId}` } });
    throw error;
  }
}
