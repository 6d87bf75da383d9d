// POST /api/integrations/sns on the built server: SNS messages signed here with a throwaway certificate (as SNS
// signs with its own), the certificate and the SubscribeURL served by a local stand-in for SNS on the port the
// server's SNS_CERTIFICATE_HOSTS names (global-setup.ts). Fixtures follow AWS's documented examples:
// https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
// https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html and, for the alarm inside,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html.
import { createSign, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringToSign, type SnsMessage } from "@/server/domain/intake/sns";
import { systemActor } from "@/server/services/audit/audit-log";
import { saveSnsSettings } from "@/server/services/intake/sns-settings";
import { selfSignedCertificate } from "../sns-certificate";
import { api, makeKey, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
const { certificatePem, keyPem } = selfSignedCertificate();
const sns = `http://127.0.0.1:${inject("snsPort")}`;
const CERT_URL = `${sns}/SimpleNotificationService-test.pem`;
const ACCOUNT = String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
const ALLOWED = `arn:aws:sns:us-west-2:${ACCOUNT}:rewind-alarms`;
const REFUSED = `arn:aws:sns:us-west-2:${ACCOUNT}:someone-elses`;

/** What the stand-in for SNS was asked, path and query. */
const seen: string[] = [];
let standIn: Server;
let admin: TestKey;
let publisher: TestKey;

beforeAll(async () => {
  standIn = createServer((request, response) => {
    seen.push(request.url ?? "");
    const url = new URL(request.url ?? "/", sns);
    if (url.pathname.endsWith(".pem")) {
      response.writeHead(200, { "content-type": "application/x-pem-file" }).end(certificatePem);
    } else if (url.searchParams.get("Action") === "ConfirmSubscription") {
      response.writeHead(200, { "content-type": "text/xml" }).end("<ConfirmSubscriptionResponse/>");
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => standIn.listen(inject("snsPort"), "127.0.0.1", resolve));
  admin = await makeKey(db, { scopes: ["policies:write"], signed: false });
  publisher = await makeKey(db, { scopes: ["snapshots:write"], signed: false });
});

afterAll(() => new Promise<void>((resolve) => standIn.close(() => resolve())));

/** A target on v2 with v1 known-good, under the default (approval) policy. */
async function target() {
  const slug = uniqueSlug();
  await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: slug } });
  const good = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 1 } } });
  const row = await db.target.findUniqueOrThrow({ where: { slug } });
  await db.configSnapshot.update({ where: { id: good.body.id }, data: { knownGoodAt: new Date() } });
  await db.target.update({ where: { id: row.id }, data: { knownGoodSnapshotId: good.body.id } });
  await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 2 } } });
  return { slug, targetId: row.id };
}

function sign(message: Omit<SnsMessage, "Signature">): SnsMessage {
  const signer = createSign(message.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
  signer.update(stringToSign({ ...message, Signature: "" }));
  return { ...message, Signature: signer.sign(keyPem, "base64") };
}

function alarmNotification(
  alarm: { name: string; state: "ALARM" | "OK" | "INSUFFICIENT_DATA"; dimensions?: { name: string; value: string }[] },
  options: { version?: "1" | "2"; topic?: string; timestamp?: Date; certUrl?: string } = {},
): SnsMessage {
  const message = JSON.stringify({
    AlarmName: alarm.name,
    AlarmDescription: null,
    AWSAccountId: ACCOUNT,
    NewStateValue: alarm.state,
    NewStateReason: "Threshold Crossed: 1 datapoint [0.12 (01/05/26 12:00:00)] was greater than the threshold (0.05).",
    StateChangeTime: new Date().toISOString().replace("Z", "+0000"),
    Region: "US West (Oregon)",
    AlarmArn: `arn:aws:cloudwatch:us-west-2:${ACCOUNT}:alarm:${alarm.name}`,
    OldStateValue: alarm.state === "ALARM" ? "OK" : "ALARM",
    Trigger: {
      MetricName: "ErrorRate",
      Namespace: "Rewind/LLM",
      StatisticType: "Statistic",
      Statistic: "AVERAGE",
      Unit: null,
      Dimensions: alarm.dimensions ?? [],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0.05,
    },
  });
  return sign({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: options.topic ?? ALLOWED,
    Subject: `ALARM: "${alarm.name}" in US West (Oregon)`.slice(0, 100),
    Message: message,
    Timestamp: (options.timestamp ?? new Date()).toISOString(),
    SignatureVersion: options.version ?? "1",
    SigningCertURL: options.certUrl ?? CERT_URL,
    UnsubscribeURL: `${sns}/?Action=Unsubscribe&SubscriptionArn=${ALLOWED}:c9135db0`,
  });
}

function confirmation(type: "SubscriptionConfirmation" | "UnsubscribeConfirmation", topic: string) {
  const token = randomUUID().replace(/-/g, "");
  return sign({
    Type: type,
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topic,
    Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `${sns}/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${token}`,
    Timestamp: new Date().toISOString(),
    SignatureVersion: "2",
    SigningCertURL: CERT_URL,
  });
}

/** Posted as SNS posts: text/plain JSON with the x-amz-sns-* headers. */
async function post(message: SnsMessage | string, headers: Record<string, string> = {}) {
  const parsed = typeof message === "string" ? null : message;
  const response = await fetch(`${inject("baseUrl")}/api/integrations/sns`, {
    method: "POST",
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      "user-agent": "Amazon Simple Notification Service Agent",
      ...(parsed && {
        "x-amz-sns-message-type": parsed.Type,
        "x-amz-sns-message-id": parsed.MessageId,
        "x-amz-sns-topic-arn": parsed.TopicArn,
      }),
      ...headers,
    },
    body: typeof message === "string" ? message : JSON.stringify(message),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const written = async (targetId: string) => ({
  verdicts: await db.verdictRecord.count({ where: { targetId } }),
  rollbacks: await db.rollback.count({ where: { targetId } }),
});

describe("POST /api/integrations/sns", () => {
  let chat: { slug: string; targetId: string };
  let urgent: { slug: string; targetId: string };

  beforeAll(async () => {
    chat = await target();
    urgent = await target();
    await saveSnsSettings(
      db,
      {
        actor: systemActor,
        allowedTopicArns: [ALLOWED],
        alarmTargets: [
          { alarmName: "LLM error rate (urgent)", target: urgent.slug, level: "emergency" },
          { alarmName: "Mapped to nothing", target: uniqueSlug("missing"), level: "critical" },
        ],
      },
      new Date(),
    );
  });

  it("confirms the subscription of an allowed topic, and refuses and records any other topic's", async () => {
    const allowed = confirmation("SubscriptionConfirmation", ALLOWED);
    const response = await post(allowed);
    expect(response).toMatchObject({ status: 200, body: { type: "SubscriptionConfirmation", confirmed: true } });
    expect(seen).toContainEqual(expect.stringContaining(`Token=${allowed.Token}`));
    expect(
      await db.auditEvent.count({ where: { action: "integration.sns_subscription_confirmed", entityId: ALLOWED } }),
    ).toBe(1);

    const other = confirmation("SubscriptionConfirmation", REFUSED);
    const refused = await post(other);
    expect(refused.status).toBe(403);
    expect(refused.body.error.issues).toHaveProperty("TopicArn");
    expect(seen).not.toContainEqual(expect.stringContaining(`Token=${other.Token}`));
    const recorded = await db.auditEvent.findMany({
      where: { action: "integration.sns_topic_refused", entityId: REFUSED },
    });
    expect(recorded).toHaveLength(1);
    // Recorded once an hour, however often the topic comes back.
    expect((await post(confirmation("SubscriptionConfirmation", REFUSED))).status).toBe(403);
    expect(await db.auditEvent.count({ where: { action: "integration.sns_topic_refused", entityId: REFUSED } })).toBe(
      1,
    );

    const unsubscribed = await post(confirmation("UnsubscribeConfirmation", ALLOWED));
    expect(unsubscribed).toMatchObject({ status: 200, body: { recorded: true } });
    expect(await db.auditEvent.count({ where: { action: "integration.sns_unsubscribed", entityId: ALLOWED } })).toBe(1);
  });

  it("proposes a rollback on ALARM (v1 signature) and withdraws it on OK (v2), as Alertmanager's alerts do", async () => {
    const name = `rewind:${chat.slug}:error-rate`;
    const alarm = await post(alarmNotification({ name, state: "ALARM" }, { version: "1" }));
    expect(alarm.status).toBe(200);
    expect(alarm.body).toMatchObject({
      alarm: name,
      state: "ALARM",
      target: chat.slug,
      rule: "name",
      outcome: {
        verdict: { status: "BREACH", severity: "CRITICAL" },
        decision: "PROPOSE_ROLLBACK",
        rollback: { status: "PENDING_APPROVAL", created: true },
      },
    });
    const proposal = alarm.body.outcome.rollback.id;

    const ok = await post(alarmNotification({ name, state: "OK" }, { version: "2" }));
    expect(ok.body.outcome).toMatchObject({
      verdict: { status: "HEALTHY" },
      decision: "NONE",
      withdrawnRollback: { id: proposal, status: "CANCELLED", endReason: `alert resolved (${name})` },
    });
    const verdicts = await db.verdictRecord.findMany({
      where: { targetId: chat.targetId },
      orderBy: { evaluatedAt: "asc" },
    });
    expect(verdicts.map((verdict) => verdict.status)).toEqual(["BREACH", "HEALTHY"]);
    expect(verdicts[0]?.details).toMatchObject({
      source: "cloudwatch",
      alerts: [{ alertname: name, severity: "critical", status: "firing" }],
    });
  });

  it("rolls back at once for an alarm the table maps at emergency, found by a dimension otherwise", async () => {
    const response = await post(alarmNotification({ name: "LLM error rate (urgent)", state: "ALARM" }));
    expect(response.body).toMatchObject({
      rule: "table",
      outcome: { decision: "EMERGENCY_ROLLBACK", rollback: { status: "IN_PROGRESS" } },
    });

    const other = await target();
    const byDimension = await post(
      alarmNotification({ name: "Latency", state: "ALARM", dimensions: [{ name: "RewindTarget", value: other.slug }] }),
    );
    expect(byDimension.body).toMatchObject({
      target: other.slug,
      rule: "dimension",
      outcome: { decision: "PROPOSE_ROLLBACK" },
    });
  });

  it("acts once per message, and records nothing on INSUFFICIENT_DATA", async () => {
    const quiet = await target();
    const insufficient = await post(alarmNotification({ name: `rewind:${quiet.slug}:x`, state: "INSUFFICIENT_DATA" }));
    expect(insufficient).toMatchObject({ status: 200, body: { ignored: true, outcome: null } });
    expect(await written(quiet.targetId)).toEqual({ verdicts: 0, rollbacks: 0 });

    const message = alarmNotification({ name: `rewind:${quiet.slug}:x`, state: "ALARM" });
    expect((await post(message)).body.outcome.decision).toBe("PROPOSE_ROLLBACK");
    expect(await post(message)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await written(quiet.targetId)).toEqual({ verdicts: 1, rollbacks: 1 });
  });

  it("refuses a changed message, a certificate off SNS's hosts and a stale message, writing nothing", async () => {
    const victim = await target();
    const name = `rewind:${victim.slug}:errors`;
    const genuine = alarmNotification({ name, state: "OK" });
    const tampered = await post({ ...genuine, Message: genuine.Message.replace('"OK"', '"ALARM"') });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error.issues).toHaveProperty("Signature");

    for (const certUrl of [
      `http://localhost:${inject("snsPort")}/SimpleNotificationService-test.pem`,
      "https://sns.us-west-2.amazonaws.com.attacker.example/cert.pem",
      `${sns}/certificate.txt`,
    ]) {
      const offHost = await post(alarmNotification({ name, state: "ALARM" }, { certUrl }));
      expect(offHost.status, certUrl).toBe(403);
      expect(offHost.body.error.issues).toHaveProperty("SigningCertURL");
    }

    const stale = await post(
      alarmNotification({ name, state: "ALARM" }, { timestamp: new Date(Date.now() - 61 * 60_000) }),
    );
    expect(stale.status).toBe(401);
    expect(stale.body.error.issues).toHaveProperty("Timestamp");
    expect(await written(victim.targetId)).toEqual({ verdicts: 0, rollbacks: 0 });
  });

  it("refuses alarms without a known target (recorded for admins), and bodies that are not SNS messages", async () => {
    const unmapped = await post(alarmNotification({ name: "Nobody's alarm", state: "ALARM" }));
    expect(unmapped.status).toBe(422);
    expect(unmapped.body.error.issues).toHaveProperty(["Message.AlarmName"]);
    const missing = await post(alarmNotification({ name: "Mapped to nothing", state: "ALARM" }));
    expect(missing.status).toBe(404);
    expect(
      await db.auditEvent.findMany({
        where: {
          action: "integration.alarm_target_unknown",
          entityId: { in: ["Nobody's alarm", "Mapped to nothing"] },
        },
        select: { entityId: true },
      }),
    ).toHaveLength(2);

    const valid = alarmNotification({ name: "x", state: "ALARM" });
    expect((await post("{not json", { "x-amz-sns-message-type": "Notification" })).status).toBe(400);
    expect((await post(valid, { "content-type": "application/xml" })).status).toBe(415);
    expect((await post(valid, { "x-amz-sns-message-type": "" })).status).toBe(400);
    expect((await post(valid, { "x-amz-sns-topic-arn": REFUSED })).status).toBe(400);
    const { Timestamp: _timestamp, ...noTimestamp } = valid;
    const invalid = await post(noTimestamp as SnsMessage);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues).toHaveProperty("Timestamp");
    const notAnAlarm = sign({ ...valid, Message: "Hello world!" });
    expect(await post(notAnAlarm)).toMatchObject({
      status: 422,
      body: { error: { issues: { Message: expect.any(String) } } },
    });
  });
});
