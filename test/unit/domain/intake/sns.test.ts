// SNS messages without a server: the string AWS signs, signatures of both versions, the age and host checks, and
// which target a CloudWatch alarm speaks for. The route itself: test/http/sns.test.ts.
import { createSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { alertVerdict } from "@/server/domain/alertmanager";
import {
  alarmAsAlert,
  alarmTarget,
  awsUrlProblem,
  cloudWatchAlarmSchema,
  DEFAULT_CERTIFICATE_HOSTS,
  parseHostPatterns,
  snsMessageSchema,
  snsSettingsSchema,
  stringToSign,
  timestampProblem,
  type CloudWatchAlarm,
  type SnsMessage,
} from "@/server/domain/intake/sns";
import { verifySignature } from "@/server/domain/intake/sns-signature";
import { selfSignedCertificate } from "../../../sns-certificate";

// The Notification example of https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html
const notification: SnsMessage = {
  Type: "Notification",
  MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
  Subject: "My First Message",
  Message: "Hello world!",
  Timestamp: "2012-05-02T00:54:06.655Z",
  SignatureVersion: "1",
  Signature: "EXAMPLEw6JRN",
  SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  UnsubscribeURL:
    "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
};

// The SubscriptionConfirmation example of https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html
const confirmation: SnsMessage = {
  Type: "SubscriptionConfirmation",
  MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  Token: "2336412f37",
  TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
  Message:
    "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  SubscribeURL:
    "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
  Timestamp: "2012-04-26T20:45:04.751Z",
  SignatureVersion: "1",
  Signature:
    "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
};

const signed = (message: SnsMessage, key: string): SnsMessage => {
  const signer = createSign(message.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
  signer.update(stringToSign(message));
  return { ...message, Signature: signer.sign(key, "base64") };
};

describe("the string SNS signs", () => {
  it("is Key\\nvalue\\n for a notification's fields, Subject only when present", () => {
    expect(stringToSign(notification)).toBe(
      [
        "Message\nHello world!\n",
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n",
        "Subject\nMy First Message\n",
        "Timestamp\n2012-05-02T00:54:06.655Z\n",
        "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n",
        "Type\nNotification\n",
      ].join(""),
    );
    const { Subject: _subject, ...withoutSubject } = notification;
    expect(stringToSign(withoutSubject)).not.toContain("Subject");
  });

  it("signs SubscribeURL and Token in confirmations, in alphabetical order", () => {
    expect(stringToSign(confirmation)).toBe(
      `Message\n${confirmation.Message}\nMessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n` +
        `SubscribeURL\n${confirmation.SubscribeURL}\nTimestamp\n2012-04-26T20:45:04.751Z\nToken\n2336412f37\n` +
        "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n",
    );
  });

  it("reads the documented examples as SNS messages", () => {
    expect(snsMessageSchema.safeParse(notification).success).toBe(true);
    expect(snsMessageSchema.safeParse(confirmation).success).toBe(true);
    expect(snsMessageSchema.safeParse({ ...notification, SignatureVersion: "3" }).error?.issues[0]?.path).toEqual([
      "SignatureVersion",
    ]);
  });
});

describe("signatures", () => {
  const { certificatePem, keyPem } = selfSignedCertificate();
  const now = new Date();

  it.each(["1", "2"] as const)("verifies SignatureVersion %s and refuses any change to a signed field", (version) => {
    const message = signed({ ...notification, SignatureVersion: version }, keyPem);
    expect(verifySignature(message, certificatePem, now)).toEqual({ ok: true });
    expect(verifySignature({ ...message, Message: "Hello world?" }, certificatePem, now)).toMatchObject({ ok: false });
    expect(verifySignature({ ...message, Subject: undefined }, certificatePem, now)).toMatchObject({ ok: false });
    // A version 1 signature is not a version 2 one: the hash is part of what is checked.
    const other = version === "1" ? "2" : "1";
    expect(verifySignature({ ...message, SignatureVersion: other }, certificatePem, now)).toMatchObject({ ok: false });
  });

  it("refuses what is not a certificate, and a certificate outside its validity", () => {
    const message = signed(notification, keyPem);
    expect(verifySignature(message, "not a certificate", now)).toMatchObject({ ok: false });
    expect(verifySignature(message, certificatePem, new Date("2000-01-01T00:00:00Z"))).toMatchObject({
      ok: false,
      reason: "The signing certificate is not valid now",
    });
  });

  it("takes messages up to an hour old and up to 5 minutes ahead", () => {
    const at = new Date("2026-05-01T12:00:00Z");
    expect(timestampProblem("2026-05-01T11:00:00.000Z", at)).toBeNull();
    expect(timestampProblem("2026-05-01T10:59:59.999Z", at)).toMatch(/older than 1 hour/);
    expect(timestampProblem("2026-05-01T12:05:00.000Z", at)).toBeNull();
    expect(timestampProblem("2026-05-01T12:05:00.001Z", at)).toMatch(/ahead/);
  });
});

describe("SNS hosts", () => {
  const aws = parseHostPatterns(DEFAULT_CERTIFICATE_HOSTS);
  const cert = (url: string, patterns = aws) => awsUrlProblem(url, patterns, "certificate");

  it("takes https certificates of sns.<region>.amazonaws.com(.cn) only, ending in .pem", () => {
    expect(cert(notification.SigningCertURL)).toBeNull();
    expect(cert("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem")).toBeNull();
    expect(cert("http://sns.us-west-2.amazonaws.com/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://sns.us-west-2.amazonaws.com.evil.example/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://evil.example/sns.us-west-2.amazonaws.com/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://sqs.us-west-2.amazonaws.com/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://a.b.sns.us-west-2.amazonaws.com/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://sns.us-west-2.amazonaws.com:8443/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://user:pw@sns.us-west-2.amazonaws.com/x.pem")).toMatch(/not an Amazon SNS host/);
    expect(cert("https://sns.us-west-2.amazonaws.com/x.pem.txt")).toMatch(/\.pem/);
    expect(cert("not a url")).toMatch(/not a URL/);
  });

  it("fetches plain http only from a loopback host and port a pattern names exactly", () => {
    const local = parseHostPatterns("127.0.0.1:4443");
    expect(cert("http://127.0.0.1:4443/cert.pem", local)).toBeNull();
    expect(cert("http://127.0.0.1:4444/cert.pem", local)).toMatch(/not an Amazon SNS host/);
    expect(cert("http://localhost:4443/cert.pem", local)).toMatch(/not an Amazon SNS host/);
    // An exact pattern that is not loopback still needs https.
    const exact = parseHostPatterns("sns.internal.example");
    expect(cert("http://sns.internal.example/cert.pem", exact)).toMatch(/not an Amazon SNS host/);
    expect(cert("https://sns.internal.example/cert.pem", exact)).toBeNull();
  });

  it("confirms only ConfirmSubscription links on those hosts", () => {
    expect(awsUrlProblem(confirmation.SubscribeURL!, aws, "subscribe")).toBeNull();
    expect(awsUrlProblem("https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe", aws, "subscribe")).toMatch(
      /not a ConfirmSubscription link/,
    );
    expect(awsUrlProblem("https://attacker.example/?Action=ConfirmSubscription", aws, "subscribe")).toMatch(
      /not an Amazon SNS host/,
    );
  });

  it("refuses patterns that would match too much", () => {
    expect(() => parseHostPatterns("*.com")).toThrow(/not a host pattern/);
    expect(() => parseHostPatterns("*:443")).toThrow(/not a host pattern/);
    expect(() => parseHostPatterns("sns.*.amazonaws.com:8443")).toThrow(/not a host pattern/);
    expect(() => parseHostPatterns("https://sns.us-east-1.amazonaws.com")).toThrow(/not a host pattern/);
    expect(() => parseHostPatterns(" , ")).toThrow(/at least one/);
  });
});

// A state change as CloudWatch publishes it (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html).
const alarm = (overrides: Partial<CloudWatchAlarm> = {}): CloudWatchAlarm =>
  cloudWatchAlarmSchema.parse({
    AlarmName: "LLM error rate",
    AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:LLM error rate",
    AWSAccountId: "123456789012",
    Region: "US East (N. Virginia)",
    NewStateValue: "ALARM",
    NewStateReason: "Threshold Crossed: 1 datapoint [0.12] was greater than the threshold (0.05).",
    StateChangeTime: "2026-05-01T12:00:00.000+0000",
    OldStateValue: "OK",
    Trigger: {
      MetricName: "ErrorRate",
      Namespace: "Rewind/LLM",
      Threshold: 0.05,
      Dimensions: [{ value: "chat-completions", name: "RewindTarget" }],
    },
    ...overrides,
  });

describe("which target an alarm speaks for", () => {
  const table = [{ alarmName: "LLM error rate", target: "from-table", level: "emergency" as const }];

  it("takes the table first, then a rewind:<slug>: name, then the RewindTarget dimension", () => {
    expect(alarmTarget(alarm(), table)).toEqual({ slug: "from-table", level: "emergency", rule: "table" });
    expect(alarmTarget(alarm({ AlarmName: "rewind:from-name:errors" }), table)).toEqual({
      slug: "from-name",
      level: "critical",
      rule: "name",
    });
    expect(alarmTarget(alarm(), [])).toEqual({ slug: "chat-completions", level: "critical", rule: "dimension" });
  });

  it("finds none without a rule, or when what the name or dimension holds is not a slug", () => {
    const bare = alarm({ Trigger: { MetricName: "ErrorRate", Dimensions: [] } });
    expect(alarmTarget(bare, [])).toBeNull();
    expect(alarmTarget({ ...bare, AlarmName: "rewind:Not A Slug:x" }, [])).toBeNull();
    expect(alarmTarget({ ...bare, AlarmName: "rewind:no-second-colon" }, [])).toBeNull();
    expect(alarmTarget({ ...bare, AlarmName: "rewind::x" }, [])).toBeNull();
    const badDimension = alarm({ Trigger: { Dimensions: [{ name: "RewindTarget", value: "Has Spaces" }] } });
    expect(alarmTarget(badDimension, [])).toBeNull();
  });

  it("reads Name/Value dimensions too", () => {
    const upper = cloudWatchAlarmSchema.parse({
      AlarmName: "x",
      NewStateValue: "OK",
      Trigger: { Dimensions: [{ Name: "RewindTarget", Value: "chat" }] },
    });
    expect(alarmTarget(upper, [])).toMatchObject({ slug: "chat", rule: "dimension" });
  });

  it("judges ALARM as a firing alert of its level and OK as resolved, the same alert; INSUFFICIENT_DATA as none", () => {
    const target = { slug: "chat-completions", level: "critical" as const, rule: "dimension" as const };
    const firing = alarmAsAlert(alarm(), target)!;
    const resolved = alarmAsAlert(alarm({ NewStateValue: "OK" }), target)!;
    expect(firing).toMatchObject({
      status: "firing",
      labels: { severity: "critical", rewind_target: "chat-completions" },
    });
    expect(resolved.status).toBe("resolved");
    expect(resolved.fingerprint).toBe(firing.fingerprint);
    expect(alarmAsAlert(alarm({ NewStateValue: "INSUFFICIENT_DATA" }), target)).toBeNull();
    expect(alertVerdict([firing], [], "CloudWatch")).toMatchObject({
      status: "BREACH",
      severity: "CRITICAL",
      explanation: expect.stringMatching(
        /^CloudWatch: firing LLM error rate \(critical\): Threshold Crossed/,
      ) as string,
    });
    expect(alertVerdict([alarmAsAlert(alarm(), { ...target, level: "emergency" })!], [])).toMatchObject({
      severity: "EMERGENCY",
    });
    expect(alertVerdict([resolved], [], "CloudWatch").status).toBe("HEALTHY");
  });

  it("refuses settings naming a topic or an alarm twice, or a bad ARN, by path", () => {
    const result = snsSettingsSchema.safeParse({
      allowedTopicArns: ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:1234:b"],
      alarmTargets: [
        { alarmName: "a", target: "chat" },
        { alarmName: "b", target: "Not a slug" },
      ],
    });
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual([
      "allowedTopicArns.1",
      "alarmTargets.1.target",
    ]);
    const twice = snsSettingsSchema.safeParse({
      allowedTopicArns: [],
      alarmTargets: [
        { alarmName: "a", target: "chat" },
        { alarmName: "a", target: "other" },
      ],
    });
    expect(twice.error?.issues[0]).toMatchObject({
      path: ["alarmTargets"],
      message: expect.stringMatching(/once/) as string,
    });
    expect(
      snsSettingsSchema.parse({
        allowedTopicArns: ["arn:aws-cn:sns:cn-north-1:123456789012:rewind.fifo"],
        alarmTargets: [{ alarmName: "x", target: "chat" }],
      }).alarmTargets[0]?.level,
    ).toBe("critical");
  });
});
