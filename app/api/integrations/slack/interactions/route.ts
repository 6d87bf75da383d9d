// POST /api/integrations/slack/interactions: the Slack app's Interactivity Request URL (Approve/Reject buttons
// on rollback messages). Answers at once (Slack waits 3 s) and acts after the answer is sent, replying through
// the click's response_url. docs/INTEGRATIONS.md, "Approvals from Slack".
import { after } from "next/server";
import { errorResponse, readBody } from "@/server/api/http";
import { getDb } from "@/server/db";
import { apiKeyEncryptionKey } from "@/server/env.js";
import { receiveSlackInteraction } from "@/server/services/chatops/slack-approvals";
import { log } from "@/server/services/platform/log";

export const dynamic = "force-dynamic";

/** Slack's interaction payloads carry the message clicked; far below this. */
const MAX_BYTES = 1024 * 1024;

export async function POST(request: Request): Promise<Response> {
  const now = new Date();
  try {
    const rawBody = (await readBody(request, MAX_BYTES)).toString("utf8");
    const receipt = await receiveSlackInteraction(
      getDb(),
      {
        rawBody,
        timestamp: request.headers.get("x-slack-request-timestamp"),
        signature: request.headers.get("x-slack-signature"),
      },
      { now, encryptionKey: () => apiKeyEncryptionKey() },
    );
    if (receipt.status !== 200) {
      const { status, code, message, issues } = receipt;
      return Response.json(
        { error: { code, message, ...(issues && { issues }) } },
        { status, headers: { "Cache-Control": "no-store" } },
      );
    }
    const { followUp } = receipt;
    if (followUp) {
      after(() =>
        followUp().catch((error: unknown) => {
          log.error("slack.click_failed", { error: error instanceof Error ? error.message : String(error) });
        }),
      );
    }
    return new Response(null, { status: 200, headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return errorResponse(error, now, "slack interactions");
  }
}
