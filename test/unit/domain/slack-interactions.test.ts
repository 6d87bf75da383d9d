// Approvals from Slack, the pure rules: Slack's v0 signature against a given clock, the form-encoded payload,
// which action a click asks for, where answers may go, and the buttons and messages Rewind sends.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  SLACK_APPROVE_ACTION,
  SLACK_REJECT_ACTION,
  awaitsApproval,
  slackAppSettingsSchema,
  slackDecisionMessage,
  slackEphemeral,
  slackLinkSchema,
  slackMessage,
  slackUserIdSchema,
} from "@/server/domain/notification-channels";
import {
  SLACK_SIGNATURE_TOLERANCE_SECONDS,
  isSlackResponseUrl,
  parseSlackInteraction,
  slackApprovalAction,
  slackClicker,
  slackSignature,
  slackSignatureBase,
  verifySlackSignature,
} from "@/server/domain/slack-interactions";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW = new Date("2026-10-01T12:00:00Z");
const T = String(NOW.getTime() / 1000);
const APP = "https://rewind.example.test";

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function click(overrides: Record<string, unknown> = {}) {
  return {
    type: "block_actions",
    user: { id: "U024BE7LH", username: "ana", team_id: "T0001" },
    team: { id: "T0001", domain: "acme" },
    response_url: "https://hooks.slack.com/actions/T0001/1/abc",
    actions: [{ action_id: SLACK_APPROVE_ACTION, block_id: "rewind.approval", value: "rb_1", type: "button" }],
    message: { ts: "1.2", blocks: [] },
    ...overrides,
  };
}

describe("Slack's v0 signature", () => {
  it("is v0= and the hex HMAC-SHA256 of v0:{timestamp}:{body} (Slack's documented example)", () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(slackSignatureBase("1531420618", body)).toBe(`v0:1531420618:${body}`);
    expect(slackSignature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  const body = form(click());
  const good = slackSignature(SECRET, T, body);
  const check = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({
      signingSecrets: [SECRET],
      timestamp: T,
      signature: good,
      rawBody: body,
      now: NOW,
      ...overrides,
    });

  it("accepts the signed body, in either case of hex, and says when it was signed", () => {
    expect(check({})).toEqual({ ok: true, timestampSeconds: Number(T), signature: good });
    expect(check({ signature: good.toUpperCase().replace("V0=", "v0=") }).ok).toBe(true);
  });

  it("accepts any of several secrets (a saved one beside the environment's)", () => {
    expect(check({ signingSecrets: ["another-secret-0000", SECRET] }).ok).toBe(true);
  });

  it("refuses a tampered body, another secret, no secret at all", () => {
    expect(check({ rawBody: body.replace("rb_1", "rb_2") })).toEqual({
      ok: false,
      message: "The signature does not match the request",
    });
    expect(check({ signingSecrets: ["another-secret-0000"] }).ok).toBe(false);
    expect(check({ signingSecrets: [] }).ok).toBe(false);
  });

  it("refuses missing or malformed headers", () => {
    expect(check({ signature: null })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Missing/) as unknown,
    });
    expect(check({ timestamp: null })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Missing/) as unknown,
    });
    expect(check({ signature: "v1=abc" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Malformed/) as unknown,
    });
    expect(check({ timestamp: "12.5" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Malformed/) as unknown,
    });
  });

  it("accepts timestamps up to 5 minutes either side of now, and refuses older or newer ones, even correctly signed", () => {
    const at = (offsetSeconds: number) => {
      const timestamp = String(Number(T) + offsetSeconds);
      return check({ timestamp, signature: slackSignature(SECRET, timestamp, body) });
    };
    expect(at(-SLACK_SIGNATURE_TOLERANCE_SECONDS).ok).toBe(true);
    expect(at(SLACK_SIGNATURE_TOLERANCE_SECONDS).ok).toBe(true);
    expect(at(-SLACK_SIGNATURE_TOLERANCE_SECONDS - 1)).toEqual({
      ok: false,
      message: "The request's timestamp is 301 s old; at most 300 s is accepted",
    });
    expect(at(SLACK_SIGNATURE_TOLERANCE_SECONDS + 1)).toMatchObject({ ok: false, message: /in the future/ });
  });

  it("compares against an HMAC computed over exactly the raw bytes", () => {
    const expected = `v0=${createHmac("sha256", SECRET).update(`v0:${T}:${body}`).digest("hex")}`;
    expect(good).toBe(expected);
  });
});

describe("the interaction payload", () => {
  it("reads a block_actions click: who clicked, in which workspace, and the action", () => {
    const parsed = parseSlackInteraction(form(click()));
    expect(parsed).toMatchObject({ ok: true, kind: "block_actions" });
    if (!parsed.ok || parsed.kind !== "block_actions") throw new Error("expected a click");
    expect(slackClicker(parsed.payload)).toEqual({ slackUserId: "U024BE7LH", slackTeamId: "T0001" });
    expect(slackApprovalAction(parsed.payload)).toEqual({ kind: "approve", rollbackId: "rb_1" });
  });

  it("takes the team from the payload when the user has none", () => {
    const parsed = parseSlackInteraction(form(click({ user: { id: "U1ABCDEF" } })));
    if (!parsed.ok || parsed.kind !== "block_actions") throw new Error("expected a click");
    expect(slackClicker(parsed.payload)).toEqual({ slackUserId: "U1ABCDEF", slackTeamId: "T0001" });
  });

  it("knows Reject, and ignores other buttons and buttons without a value", () => {
    expect(slackApprovalAction({ actions: [{ action_id: SLACK_REJECT_ACTION, value: "rb_9" }] })).toEqual({
      kind: "reject",
      rollbackId: "rb_9",
    });
    expect(slackApprovalAction({ actions: [{ action_id: "someone.else", value: "rb_9" }] })).toBeNull();
    expect(slackApprovalAction({ actions: [{ action_id: SLACK_APPROVE_ACTION }] })).toBeNull();
    expect(slackApprovalAction({ actions: [{ action_id: SLACK_APPROVE_ACTION, value: "  " }] })).toBeNull();
  });

  it("lets other interaction types through unread", () => {
    expect(parseSlackInteraction(form({ type: "view_submission", view: {} }))).toEqual({
      ok: true,
      kind: "other",
      type: "view_submission",
    });
  });

  it("names the field path of what is wrong", () => {
    expect(parseSlackInteraction("token=abc")).toMatchObject({
      ok: false,
      issues: { payload: expect.any(String) as unknown },
    });
    expect(parseSlackInteraction("payload=%7Bnot-json")).toMatchObject({
      ok: false,
      issues: { payload: "The payload field is not JSON" },
    });
    expect(parseSlackInteraction(form({ ...click(), user: { id: "not an id" } }))).toMatchObject({
      ok: false,
      issues: { "payload.user.id": "Expected a Slack id" },
    });
    expect(parseSlackInteraction(form({ ...click(), actions: [] }))).toMatchObject({
      ok: false,
      issues: { "payload.actions": expect.any(String) as unknown },
    });
    expect(parseSlackInteraction(form(42))).toMatchObject({
      ok: false,
      issues: { payload: expect.any(String) as unknown },
    });
  });
});

describe("where answers may go", () => {
  const api = "https://slack.com/api";
  it("Slack's hosts over https, or the origin of a configured local stand-in", () => {
    expect(isSlackResponseUrl("https://hooks.slack.com/actions/T1/2/x", api)).toBe(true);
    expect(isSlackResponseUrl("http://hooks.slack.com/actions/T1/2/x", api)).toBe(false);
    expect(isSlackResponseUrl("https://hooks.slack.com.evil.test/actions", api)).toBe(false);
    expect(isSlackResponseUrl("https://user:pw@hooks.slack.com/actions", api)).toBe(false);
    expect(isSlackResponseUrl("http://127.0.0.1:9999/respond", api)).toBe(false);
    expect(isSlackResponseUrl("http://127.0.0.1:9999/respond", "http://127.0.0.1:9999/api")).toBe(true);
    expect(isSlackResponseUrl("http://10.0.0.1:9999/respond", "http://10.0.0.1:9999/api")).toBe(false);
    expect(isSlackResponseUrl("not a url", api)).toBe(false);
  });
});

describe("the buttons and messages", () => {
  const pending = {
    title: "Rollback of Checkout (checkout) needs approval",
    body: "Error rate 20% > 5%",
    severity: "CRITICAL",
    rollbackId: "rb_1",
    payload: { status: "PENDING_APPROVAL" },
  };
  const actionsOf = (message: { blocks: { type: string }[] }) => message.blocks.filter((b) => b.type === "actions");

  it("puts Approve and Reject, valued with the rollback id, on a rollback awaiting approval when clicks can be verified", () => {
    const message = slackMessage(pending, APP, { approvalButtons: true });
    const [actions] = actionsOf(message) as unknown as { elements: { action_id: string; value: string }[] }[];
    expect(actions?.elements.map((e) => [e.action_id, e.value])).toEqual([
      [SLACK_APPROVE_ACTION, "rb_1"],
      [SLACK_REJECT_ACTION, "rb_1"],
    ]);
    expect(JSON.stringify(message)).toContain(`<${APP}/rollbacks/rb_1|Open in Rewind>`);
  });

  it("has only the link without a signing secret, or once the rollback no longer waits", () => {
    expect(actionsOf(slackMessage(pending, APP))).toEqual([]);
    expect(
      actionsOf(slackMessage({ ...pending, payload: { status: "APPROVED" } }, APP, { approvalButtons: true })),
    ).toEqual([]);
    expect(awaitsApproval({ rollbackId: null, payload: { status: "PENDING_APPROVAL" } })).toBe(false);
    expect(awaitsApproval({ rollbackId: "rb", payload: null })).toBe(false);
  });

  const decision = {
    action: "approve" as const,
    rollback: {
      id: "rb_1",
      target: { slug: "checkout", name: "Checkout <!channel>" },
      status: "APPROVED",
      approvalCount: 1,
      approvalsRequired: 1,
    },
    user: { name: "Ana & <@U999>" },
    slackUserId: "U024BE7LH",
  };

  it("replaces the message with who acted (escaped name, mention), the new state and no buttons", () => {
    const message = slackDecisionMessage(decision, APP);
    expect(message.replace_original).toBe(true);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain("approved by Ana &amp; &lt;@U999&gt;");
    expect(text).toContain("(<@U024BE7LH>)");
    expect(text).toContain("Checkout &lt;!channel&gt;");
    expect(text).toContain("Approved: the next monitoring cycle starts it.");
    expect(actionsOf(message)).toEqual([]);
  });

  it("keeps the buttons while a second approver is needed (two-person rule), and says how many approved", () => {
    const message = slackDecisionMessage(
      { ...decision, rollback: { ...decision.rollback, status: "PENDING_APPROVAL", approvalsRequired: 2 } },
      APP,
    );
    expect(message.text).toContain("(1 of 2 approvals)");
    expect(actionsOf(message)).toHaveLength(1);
  });

  it("says a rejection and never mentions an id that is not a Slack id", () => {
    const message = slackDecisionMessage(
      { ...decision, action: "reject", slackUserId: "U1|x>", rollback: { ...decision.rollback, status: "REJECTED" } },
      APP,
    );
    expect(message.text).toContain("rejected by");
    expect(JSON.stringify(message)).not.toContain("<@U1");
  });

  it("answers the clicker alone, escaped", () => {
    expect(slackEphemeral("No <!here>")).toEqual({
      response_type: "ephemeral",
      replace_original: false,
      text: "No &lt;!here&gt;",
    });
  });
});

describe("what people save", () => {
  it("a Slack member ID, upper-cased, or null to unlink", () => {
    expect(slackUserIdSchema.parse(" u024be7lh ")).toBe("U024BE7LH");
    expect(slackUserIdSchema.safeParse("T024BE7LH").success).toBe(false);
    expect(slackUserIdSchema.safeParse("U1").success).toBe(false);
    expect(slackLinkSchema.parse({ slackUserId: null })).toEqual({ slackUserId: null });
  });

  it("the Slack app's secrets: empty keeps the saved one, malformed ones are refused by field", () => {
    expect(slackAppSettingsSchema.parse({ signingSecret: "", botToken: "" })).toEqual({
      signingSecret: null,
      botToken: null,
    });
    expect(slackAppSettingsSchema.parse({ signingSecret: SECRET })).toEqual({ signingSecret: SECRET, botToken: null });
    const bad = slackAppSettingsSchema.safeParse({ signingSecret: "short", botToken: "xoxp-123" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => issue.path.join("."))).toEqual(["signingSecret", "botToken"]);
  });
});
