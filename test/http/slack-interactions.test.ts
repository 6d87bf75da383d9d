// POST /api/integrations/slack/interactions over real HTTP: clicks signed as Slack signs them are answered at once
// and acted on afterwards, as the linked Rewind user; the message is then replaced (or the clicker alone told why
// not) through the click's response_url, here a local server that also stands in for Slack's Web API
// (SLACK_API_URL, set by global-setup.ts). Bad signatures are 401 and change nothing.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION } from "@/server/domain/notification-channels";
import { slackSignature } from "@/server/domain/slack-interactions";
import { userActor } from "@/server/services/audit/audit-log";
import { setOwnSlackLink } from "@/server/services/chatops/slack-links";
import { configureSlackApp } from "@/server/services/notifications/channels/slack-app";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { breachVerdict, lifecyclePolicy, lifecycleTarget, rollbackDecision } from "../integration/lifecycle-fixtures";
import { makeUser, testDb } from "./helpers";

const db = testDb();
const PATH = "/api/integrations/slack/interactions";
const SIGNING_SECRET = "f00dfeedf00dfeedf00dfeedf00dfeed";
const BOT_TOKEN = "xoxb-rewind-http-test-token";
const TEAM = "T0HTTP";
const port = inject("slackStandInPort");
const standIn = `http://127.0.0.1:${port}`;

/** What the stand-in received: POSTs to response URLs (by path) and users.info calls. */
const responses = new Map<string, unknown[]>();
const usersInfoCalls: { user: string | null; headers: IncomingHttpHeaders }[] = [];
/** users.info answers by Slack user id. */
const slackProfiles = new Map<string, unknown>();
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", standIn);
      if (url.pathname === "/api/users.info") {
        const user = url.searchParams.get("user");
        usersInfoCalls.push({ user, headers: request.headers });
        const profile = user ? slackProfiles.get(user) : undefined;
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(JSON.stringify(profile ? { ok: true, user: profile } : { ok: false, error: "user_not_found" }));
        return;
      }
      responses.set(url.pathname, [...(responses.get(url.pathname) ?? []), JSON.parse(raw)]);
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const admin = await makeUser(db, "ADMIN");
  await configureSlackApp(
    db,
    { actor: userActor(admin.id), signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN },
    { now: new Date(), encryptionKey: () => Buffer.from(inject("apiKeyEncryptionKey"), "base64") },
  );
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

async function linkedUser(role: "VIEWER" | "APPROVER") {
  const user = await makeUser(db, role);
  const slackUserId = `U${randomBytes(5).toString("hex").toUpperCase()}`;
  await setOwnSlackLink(db, { actor: userActor(user.id), slackUserId }, new Date());
  return { ...user, slackUserId };
}

async function pendingRollback() {
  const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(Date.now() - 60_000));
  const { rollbackId } = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(),
  );
  return { ...fixture, rollbackId };
}

/** A click as Slack posts it; its response_url is a fresh path on the stand-in. */
function clickBody(slackUserId: string, actionId: string, rollbackId: string) {
  const responsePath = `/actions/${TEAM}/${randomBytes(6).toString("hex")}`;
  const payload = {
    type: "block_actions",
    user: { id: slackUserId, username: "someone", team_id: TEAM },
    team: { id: TEAM, domain: "rewind-test" },
    api_app_id: "A0REWIND",
    trigger_id: "1.2.3",
    response_url: `${standIn}${responsePath}`,
    container: { type: "message", message_ts: "1.2", channel_id: "C1" },
    actions: [
      { action_id: actionId, block_id: "rewind.approval", value: rollbackId, type: "button", action_ts: "1.3" },
    ],
  };
  return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), responsePath };
}

function slackHeaders(body: string, options: { at?: number; secret?: string } = {}) {
  const timestamp = String(Math.floor((options.at ?? Date.now()) / 1000));
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body),
  };
}

async function post(body: string, headers: Record<string, string>) {
  const response = await fetch(`${inject("baseUrl")}${PATH}`, { method: "POST", headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The server answers Slack first and acts after: wait until the stand-in has `count` answers at this path. */
async function answersAt(path: string, count = 1): Promise<any[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const received = responses.get(path) ?? [];
    if (received.length >= count) return received;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`No answer at ${path} after 10 s (got ${JSON.stringify(responses.get(path) ?? [])})`);
}

function statusOf(rollbackId: string) {
  return db.rollback.findUniqueOrThrow({ where: { id: rollbackId }, select: { status: true } }).then((r) => r.status);
}

function auditOf(rollbackId: string) {
  return db.auditEvent.findMany({
    where: { entityId: rollbackId },
    orderBy: { sequence: "asc" },
    select: { action: true, actorId: true, after: true },
  });
}

const hasButtons = (message: { blocks?: { type: string }[] }) =>
  (message.blocks ?? []).some((block) => block.type === "actions");

describe("POST /api/integrations/slack/interactions", () => {
  it("an approver's Approve: 200 at once, the rollback approved as them, the message replaced with who and no buttons", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId, target } = await pendingRollback();
    const { body, responsePath } = clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId);

    const response = await post(body, slackHeaders(body));

    expect(response.status).toBe(200);
    expect(response.text).toBe("");
    expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    const [message] = await answersAt(responsePath);
    expect(message.replace_original).toBe(true);
    expect(JSON.stringify(message.blocks)).toContain(`approved by ${approver.name}`);
    expect(JSON.stringify(message.blocks)).toContain(`<@${approver.slackUserId}>`);
    expect(JSON.stringify(message.blocks)).toContain(target.slug);
    expect(hasButtons(message)).toBe(false);
    expect(await statusOf(rollbackId)).toBe("APPROVED");
    expect((await auditOf(rollbackId)).find((event) => event.action === "rollback.approved")).toMatchObject({
      actorId: approver.id,
      after: { via: "slack", slackUserId: approver.slackUserId, slackTeamId: TEAM },
    });
  });

  it("Reject rejects, and the message says so", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const { body, responsePath } = clickBody(approver.slackUserId, SLACK_REJECT_ACTION, rollbackId);

    expect((await post(body, slackHeaders(body))).status).toBe(200);

    const [message] = await answersAt(responsePath);
    expect(message.text).toContain(`rejected by ${approver.name}`);
    expect(hasButtons(message)).toBe(false);
    expect(await statusOf(rollbackId)).toBe("REJECTED");
  });

  it("a viewer's click: an ephemeral explanation, nothing changed, the refusal audited", async () => {
    const viewer = await linkedUser("VIEWER");
    const { rollbackId } = await pendingRollback();
    const { body, responsePath } = clickBody(viewer.slackUserId, SLACK_APPROVE_ACTION, rollbackId);

    expect((await post(body, slackHeaders(body))).status).toBe(200);

    const [message] = await answersAt(responsePath);
    expect(message).toEqual({
      response_type: "ephemeral",
      replace_original: false,
      text: expect.stringContaining("needs the approver role or higher; your Rewind role is viewer"),
    });
    expect(await statusOf(rollbackId)).toBe("PENDING_APPROVAL");
    expect((await auditOf(rollbackId)).map((event) => [event.action, event.actorId])).toEqual([
      ["rollback.created", null],
      ["rollback.slack_action_refused", viewer.id],
    ]);
  });

  it("an unmapped Slack user (users.info knows no confirmed email for them): ephemeral, nothing changed", async () => {
    const { rollbackId } = await pendingRollback();
    const stranger = `U${randomBytes(5).toString("hex").toUpperCase()}`;
    const { body, responsePath } = clickBody(stranger, SLACK_APPROVE_ACTION, rollbackId);

    expect((await post(body, slackHeaders(body))).status).toBe(200);

    const [message] = await answersAt(responsePath);
    expect(message).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("not linked") });
    expect(usersInfoCalls.find((call) => call.user === stranger)?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(await statusOf(rollbackId)).toBe("PENDING_APPROVAL");
  });

  it("an approver not linked yet is found by the email Slack confirms, linked, and acts", async () => {
    const approver = await makeUser(db, "APPROVER");
    const slackUserId = `U${randomBytes(5).toString("hex").toUpperCase()}`;
    slackProfiles.set(slackUserId, {
      id: slackUserId,
      is_bot: false,
      is_email_confirmed: true,
      profile: { email: approver.email },
    });
    const { rollbackId } = await pendingRollback();
    const { body, responsePath } = clickBody(slackUserId, SLACK_APPROVE_ACTION, rollbackId);

    expect((await post(body, slackHeaders(body))).status).toBe(200);

    const [message] = await answersAt(responsePath);
    expect(message.replace_original).toBe(true);
    expect(await statusOf(rollbackId)).toBe("APPROVED");
    expect(await db.user.findUnique({ where: { id: approver.id }, select: { slackUserId: true } })).toEqual({
      slackUserId,
    });
  });

  it("a replayed click is answered 'already handled' and acts once", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const { body, responsePath } = clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId);
    const headers = slackHeaders(body);

    expect((await post(body, headers)).status).toBe(200);
    await answersAt(responsePath);
    expect((await post(body, headers)).status).toBe(200);

    const [first, replay] = await answersAt(responsePath, 2);
    expect(first.replace_original).toBe(true);
    expect(replay).toEqual({
      response_type: "ephemeral",
      replace_original: false,
      text: expect.stringContaining("already handled"),
    });
    expect((await auditOf(rollbackId)).map((event) => event.action)).toEqual(["rollback.created", "rollback.approved"]);
  });

  it("401 and nothing changed for a stale timestamp, a tampered body, a missing signature, another secret", async () => {
    const approver = await linkedUser("APPROVER");
    const { rollbackId } = await pendingRollback();
    const { body, responsePath } = clickBody(approver.slackUserId, SLACK_APPROVE_ACTION, rollbackId);
    const good = slackHeaders(body);
    const unsigned = Object.fromEntries(Object.entries(good).filter(([name]) => name !== "x-slack-signature"));

    const attempts = [
      post(body, slackHeaders(body, { at: Date.now() - 6 * 60_000 })),
      post(body.replace(SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION), good),
      post(body, unsigned),
      post(body, slackHeaders(body, { secret: "0123456789abcdef0123456789abcdef" })),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    }
    // The same click, signed, still works afterwards: none of the refusals was recorded as seen.
    expect((await post(body, good)).status).toBe(200);
    await answersAt(responsePath);
    expect(responses.get(responsePath)).toHaveLength(1);
    expect((await auditOf(rollbackId)).map((event) => event.action)).toEqual(["rollback.created", "rollback.approved"]);
  });

  it("400 with the field path for a signed body without a payload", async () => {
    const body = "token=legacy";
    const response = await post(body, slackHeaders(body));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({
      error: { code: "VALIDATION", issues: { payload: expect.any(String) } },
    });
  });
});
