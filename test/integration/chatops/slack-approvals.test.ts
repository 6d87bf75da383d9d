// Approvals from Slack on a real database: clicks verified with the saved signing secret act through the same
// rollback services as the dashboard, as the Rewind user linked to the Slack user, under the same role and
// two-person rules; refusals are audited and answered to the clicker alone; a replayed request acts once.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION } from "@/server/domain/notification-channels";
import { slackSignature } from "@/server/domain/slack-interactions";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { setDisabled } from "@/server/services/access/users";
import { actOnSlackClick, receiveSlackInteraction } from "@/server/services/chatops/slack-approvals";
import type { SlackHttp } from "@/server/services/chatops/slack-api";
import { setOwnSlackLink } from "@/server/services/chatops/slack-links";
import {
  clearSlackAppSecret,
  configureSlackApp,
  slackApprovalsEnabled,
  slackAppView,
  SLACK_APP_SETTING,
} from "@/server/services/notifications/channels/slack-app";
import { requestManualRollback, startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { getRollback } from "@/server/services/rollbacks/views";
import { callerFor, makeUser, rejection, testDb } from "../helpers";
import { breachVerdict, lifecyclePolicy, lifecycleTarget, rollbackDecision } from "../lifecycle-fixtures";

const db = testDb();
const KEY = randomBytes(32);
const SIGNING_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const T = Date.UTC(2027, 5, 1, 12);
const NOW = new Date(T);
const TEAM = "T0REWIND";

let slackIds = 0;
/** A fresh Slack member ID per test, so tests sharing the database never collide on the unique column. */
function slackId(): string {
  slackIds += 1;
  return `U${randomBytes(4).toString("hex").toUpperCase()}${slackIds}`;
}

/** Stands in for Slack: records what is POSTed to response URLs and answers users.info as told. */
/** What Rewind POSTs to a response URL: a replacement message or an ephemeral answer. */
interface SlackAnswer {
  text: string;
  replace_original?: boolean;
  response_type?: string;
  blocks?: { type: string }[];
}

function fakeSlack(users: Record<string, unknown> = {}) {
  const posted: { url: string; body: SlackAnswer }[] = [];
  const http: SlackHttp = {
    fetch: (input, init) => {
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      if (url.pathname.endsWith("/users.info")) {
        const user = users[url.searchParams.get("user") ?? ""];
        return Promise.resolve(Response.json(user ? { ok: true, user } : { ok: false, error: "user_not_found" }));
      }
      posted.push({
        url: url.href,
        body: JSON.parse(typeof init?.body === "string" ? init.body : "null") as SlackAnswer,
      });
      return Promise.resolve(new Response("ok"));
    },
  };
  return { http, posted };
}

async function linkedUser(role: "VIEWER" | "OPERATOR" | "APPROVER" | "ADMIN") {
  const user = await makeUser(db, role);
  const slackUserId = slackId();
  await setOwnSlackLink(db, { actor: userActor(user.id), slackUserId }, NOW);
  return { ...user, slackUserId };
}

async function pendingRollback(approvalsRequired: 1 | 2 = 1) {
  const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired }, new Date(T - 60_000));
  const { rollbackId } = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(T - 30_000),
  );
  return { ...fixture, rollbackId };
}

function clickBody(slackUserId: string, action: string, rollbackId: string, nonce = randomBytes(4).toString("hex")) {
  const payload = {
    type: "block_actions",
    user: { id: slackUserId, team_id: TEAM, username: "someone" },
    team: { id: TEAM },
    trigger_id: nonce,
    response_url: `https://hooks.slack.com/actions/${TEAM}/1/${nonce}`,
    actions: [{ action_id: action, block_id: "rewind.approval", value: rollbackId, type: "button" }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function signed(rawBody: string, at = NOW, secret = SIGNING_SECRET) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { rawBody, timestamp, signature: slackSignature(secret, timestamp, rawBody) };
}

/** Receives a request as the route does, then does the work the route leaves for after its answer. */
async function click(
  request: { rawBody: string; timestamp: string | null; signature: string | null },
  http: SlackHttp,
  now = NOW,
) {
  const receipt = await receiveSlackInteraction(db, request, { now, encryptionKey: () => KEY, http });
  if (receipt.status !== 200) return { receipt, outcome: null };
  return { receipt, outcome: receipt.followUp ? await receipt.followUp() : null };
}

function eventsOf(entityId: string) {
  return db.auditEvent.findMany({
    where: { entityId },
    orderBy: { sequence: "asc" },
    select: { action: true, actorType: true, actorId: true, after: true, reason: true },
  });
}

const ephemeral = (text: RegExp) => ({
  response_type: "ephemeral",
  replace_original: false,
  text: expect.stringMatching(text) as unknown,
});

beforeAll(async () => {
  const admin = await makeUser(db, "ADMIN");
  await configureSlackApp(
    db,
    { actor: userActor(admin.id), signingSecret: SIGNING_SECRET },
    { now: NOW, encryptionKey: () => KEY },
  );
});

describe("clicks through receiveSlackInteraction", () => {
  it("an approver's Approve approves as them, audited with via slack, and the message is replaced without buttons", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId, target } = await pendingRollback();
    const slack = fakeSlack();

    const { receipt, outcome } = await click(
      signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId)),
      slack.http,
    );

    expect(receipt.status).toBe(200);
    expect(outcome?.result).toBe("approved");
    const rollback = await getRollback(db, rollbackId);
    expect(rollback.status).toBe("APPROVED");
    expect(rollback.approvals).toEqual([
      expect.objectContaining({
        decision: "APPROVE",
        user: expect.objectContaining({ id: approver.id }) as unknown,
      }) as unknown,
    ]);
    const approved = (await eventsOf(rollbackId)).find((event) => event.action === "rollback.approved");
    expect(approved).toMatchObject({
      actorType: "USER",
      actorId: approver.id,
      after: { status: "APPROVED", via: "slack", slackUserId: approver.slackUserId, slackTeamId: TEAM },
    });
    expect(slack.posted).toHaveLength(1);
    const { url, body } = slack.posted[0]!;
    expect(url).toMatch(/^https:\/\/hooks\.slack\.com\/actions\//);
    expect(body.replace_original).toBe(true);
    const text = JSON.stringify(body.blocks);
    expect(text).toContain(`approved by ${approver.name}`);
    expect(text).toContain(`<@${approver.slackUserId}>`);
    expect(text).toContain(target.slug);
    expect(text).toContain("Approved: the next monitoring cycle starts it.");
    expect((body.blocks ?? []).some((block) => block.type === "actions")).toBe(false);
  });

  it("Reject rejects with the Slack comment", async () => {
    const approver = await linkedUser("ADMIN");
    const { rollbackId } = await pendingRollback();
    const slack = fakeSlack();

    const { outcome } = await click(
      signed(clickBody(approver.slackUserId, SLACK_REJECT_ACTION, rollbackId)),
      slack.http,
    );

    expect(outcome?.result).toBe("rejected");
    const rollback = await getRollback(db, rollbackId);
    expect(rollback).toMatchObject({ status: "REJECTED", endReason: "Rejected from Slack" });
    const rejected = (await eventsOf(rollbackId)).find((event) => event.action === "rollback.rejected");
    expect(rejected).toMatchObject({
      actorId: approver.id,
      after: { via: "slack", slackUserId: approver.slackUserId },
    });
    expect(JSON.stringify(slack.posted[0]?.body)).toContain("Rejected: nothing rolls back");
  });

  it("a viewer's and an operator's clicks are refused to them alone, audited as theirs, and change nothing", async () => {
    for (const role of ["VIEWER", "OPERATOR"] as const) {
      const user = await linkedUser(role);
      const { rollbackId } = await pendingRollback();
      const slack = fakeSlack();

      const { outcome } = await click(
        signed(clickBody(user.slackUserId, SLACK_APPROVE_ACTION, rollbackId)),
        slack.http,
      );

      expect(outcome?.result).toBe("refused");
      expect((await getRollback(db, rollbackId)).status).toBe("PENDING_APPROVAL");
      expect(slack.posted.map((post) => post.body)).toEqual([
        ephemeral(new RegExp(`needs the approver role or higher; your Rewind role is ${role.toLowerCase()}`)),
      ]);
      const events = await eventsOf(rollbackId);
      expect(events.map((event) => event.action)).toEqual(["rollback.created", "rollback.slack_action_refused"]);
      expect(events[1]).toMatchObject({
        actorType: "USER",
        actorId: user.id,
        after: { via: "slack", slackUserId: user.slackUserId, action: "approve" },
        reason: expect.stringContaining("approver role") as unknown,
      });
    }
  });

  it("a disabled approver is refused", async () => {
    const approver = await linkedUser("APPROVER");
    await setDisabled(db, { actor: systemActor, userId: approver.id, disabled: true }, NOW);
    const { rollbackId } = await pendingRollback();
    const slack = fakeSlack();

    const { outcome } = await click(
      signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId)),
      slack.http,
    );

    expect(outcome?.message).toMatch(/disabled/);
    expect((await getRollback(db, rollbackId)).status).toBe("PENDING_APPROVAL");
    expect(slack.posted[0]?.body).toEqual(ephemeral(/disabled/));
  });

  it("an unlinked Slack user is refused, audited as the system with the Slack user", async () => {
    const { rollbackId } = await pendingRollback();
    const stranger = slackId();
    const slack = fakeSlack();

    const { outcome } = await click(signed(clickBody(stranger, SLACK_APPROVE_ACTION, rollbackId)), slack.http);

    expect(outcome?.result).toBe("refused");
    expect(slack.posted[0]?.body).toEqual(ephemeral(/not linked to a Rewind user/));
    expect((await eventsOf(rollbackId)).at(-1)).toMatchObject({
      action: "rollback.slack_action_refused",
      actorType: "SYSTEM",
      actorId: null,
      after: { slackUserId: stranger, slackTeamId: TEAM },
    });
  });

  it("the same request again is answered 'already handled' and acts (and is audited) once", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const slack = fakeSlack();
    const request = signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId));

    const first = await click(request, slack.http);
    const replay = await click(request, slack.http, new Date(T + 20_000));

    expect(first.outcome?.result).toBe("approved");
    expect(replay.receipt.status).toBe(200);
    expect(replay.outcome?.result).toBe("replayed");
    expect(slack.posted[1]?.body).toEqual(ephemeral(/already handled/));
    expect((await eventsOf(rollbackId)).map((event) => event.action)).toEqual([
      "rollback.created",
      "rollback.approved",
    ]);
  });

  it("a second click of the same approver (a new request) is refused by the service's rule", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback(2);
    const slack = fakeSlack();

    await click(signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId)), slack.http);
    const again = await click(signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId)), slack.http);

    expect(again.outcome).toEqual({ result: "refused", message: "You have already approved this rollback" });
    expect((await getRollback(db, rollbackId)).approvalCount).toBe(1);
  });

  it("refuses bad signatures with 401 and writes nothing: tampered, stale, future, missing, another secret", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const slack = fakeSlack();
    const body = clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId);
    const good = signed(body);
    const seenBefore = await db.seenSignature.count();

    const refusals = [
      { ...good, rawBody: body.replace(rollbackId, `${rollbackId}x`) },
      signed(body, new Date(T - 301_000)),
      signed(body, new Date(T + 301_000)),
      { ...good, signature: null },
      { ...good, timestamp: null },
      signed(body, NOW, "another0secret0of0this0app0000000"),
    ];
    for (const request of refusals) {
      const { receipt } = await click(request, slack.http);
      expect(receipt).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    }
    expect(slack.posted).toEqual([]);
    expect(await db.seenSignature.count()).toBe(seenBefore);
    expect((await eventsOf(rollbackId)).map((event) => event.action)).toEqual(["rollback.created"]);
    expect((await getRollback(db, rollbackId)).status).toBe("PENDING_APPROVAL");
  });

  it("answers 400 with the field path for a signed but malformed payload, and ignores other interactions", async () => {
    const malformed = await click(signed("payload=%7B%7D"), fakeSlack().http);
    expect(malformed.receipt).toMatchObject({ status: 400, issues: { "payload.type": expect.any(String) as unknown } });
    const other = new URLSearchParams({ payload: JSON.stringify({ type: "shortcut" }) }).toString();
    expect((await click(signed(other), fakeSlack().http)).receipt).toEqual({ status: 200, followUp: null });
  });
});

describe("the two-person rule from Slack", () => {
  it("two approvals from two approvers; the first keeps the buttons for the second", async () => {
    const [first, second] = [await linkedUser("APPROVER"), await linkedUser("APPROVER")];
    const { rollbackId } = await pendingRollback(2);
    const slack = fakeSlack();

    const one = await click(signed(clickBody(first.slackUserId, SLACK_APPROVE_ACTION, rollbackId)), slack.http);
    expect(one.outcome?.result).toBe("approved");
    expect((await getRollback(db, rollbackId)).status).toBe("PENDING_APPROVAL");
    expect(slack.posted[0]?.body.text).toContain("(1 of 2 approvals)");
    expect((slack.posted[0]?.body.blocks ?? []).some((block) => block.type === "actions")).toBe(true);

    await click(signed(clickBody(second.slackUserId, SLACK_APPROVE_ACTION, rollbackId)), slack.http);
    const rollback = await getRollback(db, rollbackId);
    expect(rollback).toMatchObject({ status: "APPROVED", approvalCount: 2 });
    expect((slack.posted[1]?.body.blocks ?? []).some((block) => block.type === "actions")).toBe(false);
  });

  it("the requester of a two-approval rollback cannot approve it from Slack either", async () => {
    const requester = await linkedUser("APPROVER");
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired: 2 }, new Date(T - 60_000));
    const { id: rollbackId } = await requestManualRollback(
      db,
      {
        actor: userActor(requester.id),
        targetId: fixture.target.id,
        toSnapshotId: fixture.good.id,
        reason: "v2 is slow",
      },
      new Date(T - 30_000),
    );
    const slack = fakeSlack();

    const { outcome } = await click(
      signed(clickBody(requester.slackUserId, SLACK_APPROVE_ACTION, rollbackId)),
      slack.http,
    );

    expect(outcome?.message).toBe(
      "You requested this rollback and it needs 2 approvals: two other approvers must approve it",
    );
    expect((await getRollback(db, rollbackId)).approvalCount).toBe(0);
    expect(slack.posted[0]?.body).toEqual(ephemeral(/two other approvers/));
  });

  it("a rollback that is no longer pending is refused with the service's reason", async () => {
    const approver = await linkedUser("APPROVER");
    const other = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const slack = fakeSlack();
    await click(signed(clickBody(other.slackUserId, SLACK_REJECT_ACTION, rollbackId)), slack.http);

    const { outcome } = await click(
      signed(clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId)),
      slack.http,
    );

    expect(outcome?.message).toBe("Cannot approve a rollback that is REJECTED");
  });
});

describe("finding the Rewind user by verified email (bot token)", () => {
  const secrets = {
    signingSecrets: [SIGNING_SECRET],
    botToken: "xoxb-test-token-123",
    apiUrl: "https://slack.com/api",
  };
  const act = (slackUserId: string, rollbackId: string, http: SlackHttp) =>
    actOnSlackClick(
      db,
      {
        action: { kind: "approve", rollbackId },
        slackUserId,
        slackTeamId: TEAM,
        responseUrl: "https://hooks.slack.com/actions/T/1/x",
      },
      { now: NOW, secrets, http },
    );

  it("links a person whose email Slack confirms, once, audited as theirs, and acts as them", async () => {
    const approver = await makeUser(db, "APPROVER");
    const slackUserId = slackId();
    const slack = fakeSlack({
      [slackUserId]: {
        id: slackUserId,
        is_bot: false,
        is_email_confirmed: true,
        profile: { email: approver.email.toUpperCase() },
      },
    });
    const { rollbackId } = await pendingRollback();

    expect((await act(slackUserId, rollbackId, slack.http)).result).toBe("approved");

    expect(await db.user.findUnique({ where: { id: approver.id }, select: { slackUserId: true } })).toEqual({
      slackUserId,
    });
    expect(await eventsOf(approver.id)).toContainEqual(
      expect.objectContaining({
        action: "user.slack_linked",
        actorId: approver.id,
        after: { slackUserId, slackTeamId: TEAM, via: "slack_email" },
      }) as unknown,
    );
  });

  it("never for an unconfirmed email, a bot, another Slack user's answer, or a user linked to another Slack account", async () => {
    const approver = await makeUser(db, "APPROVER");
    const linked = await linkedUser("APPROVER");
    const [unconfirmed, bot, mismatched, secondAccount] = [slackId(), slackId(), slackId(), slackId()];
    const slack = fakeSlack({
      [unconfirmed]: { id: unconfirmed, is_email_confirmed: false, profile: { email: approver.email } },
      [bot]: { id: bot, is_bot: true, is_email_confirmed: true, profile: { email: approver.email } },
      [mismatched]: { id: "UOTHER1234", is_email_confirmed: true, profile: { email: approver.email } },
      [secondAccount]: { id: secondAccount, is_email_confirmed: true, profile: { email: linked.email } },
    });
    const { rollbackId } = await pendingRollback();

    for (const slackUserId of [unconfirmed, bot, mismatched, secondAccount]) {
      expect((await act(slackUserId, rollbackId, slack.http)).message).toMatch(/not linked to a Rewind user/);
    }
    expect((await getRollback(db, rollbackId)).status).toBe("PENDING_APPROVAL");
    expect(await db.user.findUnique({ where: { id: approver.id }, select: { slackUserId: true } })).toEqual({
      slackUserId: null,
    });
  });
});

describe("linking one's own Slack account", () => {
  it("through users.setMySlackLink: link, refuse another user's ID by field, unlink; each change audited once", async () => {
    const [ana, bo] = [await makeUser(db, "VIEWER"), await makeUser(db, "APPROVER")];
    const anaCaller = await callerFor(db, ana.id, { now: () => NOW });
    const boCaller = await callerFor(db, bo.id, { now: () => NOW });
    const id = slackId();

    expect(await anaCaller.users.setMySlackLink({ slackUserId: id.toLowerCase() })).toEqual({ slackUserId: id });
    expect(await anaCaller.users.mySlackLink()).toEqual({ slackUserId: id });
    await anaCaller.users.setMySlackLink({ slackUserId: id });

    const taken = await rejection(boCaller.users.setMySlackLink({ slackUserId: id }));
    expect(taken.code).toBe("CONFLICT");
    expect((taken.cause as { details?: { issues?: unknown } }).details?.issues).toEqual({
      slackUserId: "This Slack member ID is linked to another Rewind user",
    });
    const invalid = await rejection(boCaller.users.setMySlackLink({ slackUserId: "T123" }));
    expect(invalid.code).toBe("BAD_REQUEST");

    expect(await anaCaller.users.setMySlackLink({ slackUserId: null })).toEqual({ slackUserId: null });
    expect((await eventsOf(ana.id)).map((event) => [event.action, event.actorId, event.after])).toEqual([
      ["user.created", null, expect.anything() as unknown],
      ["user.slack_linked", ana.id, { slackUserId: id, via: "profile" }],
      ["user.slack_unlinked", ana.id, { slackUserId: null, via: "profile" }],
    ]);
  });
});

describe("the Slack app's settings", () => {
  it("say set or not set, never the secret, and audit which secret changed", async () => {
    const admin = await makeUser(db, "ADMIN");
    const caller = await callerFor(db, admin.id, { now: () => NOW });
    const view = await caller.notifications.slackApp();
    expect(view).toEqual({
      signingSecret: { state: "set", fromEnvironment: false },
      botToken: { state: "not set", fromEnvironment: false },
      requestPath: "/api/integrations/slack/interactions",
    });
    expect(JSON.stringify(view)).not.toContain(SIGNING_SECRET);
    const stored = await db.setting.findUnique({ where: { key: SLACK_APP_SETTING } });
    expect(stored?.value).not.toContain(SIGNING_SECRET);

    const token = "xoxb-1234567890-abcdefghij";
    await configureSlackApp(
      db,
      { actor: userActor(admin.id), botToken: token },
      { now: NOW, encryptionKey: () => KEY },
    );
    expect(await slackAppView(db)).toMatchObject({ signingSecret: { state: "set" }, botToken: { state: "set" } });
    await clearSlackAppSecret(db, { actor: userActor(admin.id), secret: "botToken" }, NOW);
    expect(await slackAppView(db)).toMatchObject({ signingSecret: { state: "set" }, botToken: { state: "not set" } });

    const events = await db.auditEvent.findMany({
      where: { entityId: SLACK_APP_SETTING, actorId: admin.id },
      orderBy: { sequence: "asc" },
      select: { action: true, after: true },
    });
    expect(events).toEqual([
      { action: "settings.slack_app_set", after: { signingSecretChanged: false, botTokenChanged: true } },
      { action: "settings.slack_app_cleared", after: { secret: "botToken" } },
    ]);
    expect(JSON.stringify(events)).not.toContain(token);
    const viewer = await callerFor(db, (await makeUser(db, "APPROVER")).id);
    expect((await rejection(viewer.notifications.slackApp())).code).toBe("FORBIDDEN");
  });

  it("messages carry buttons only while a signing secret is set; without one, clicks are not taken (503)", async () => {
    const admin = await makeUser(db, "ADMIN");
    expect(await slackApprovalsEnabled(db)).toBe(true);
    await clearSlackAppSecret(db, { actor: userActor(admin.id), secret: "signingSecret" }, NOW);
    try {
      expect(await slackApprovalsEnabled(db)).toBe(false);
      const { receipt } = await click(signed(clickBody(slackId(), SLACK_APPROVE_ACTION, "rb")), fakeSlack().http);
      expect(receipt).toMatchObject({ status: 503, code: "NOT_CONFIGURED" });
    } finally {
      await configureSlackApp(
        db,
        { actor: userActor(admin.id), signingSecret: SIGNING_SECRET },
        { now: NOW, encryptionKey: () => KEY },
      );
    }
  });
});
