// POST /api/integrations/sns: CloudWatch alarms through an Amazon SNS HTTPS subscription. No API key (SNS sends
// none): the message's own signature, its age and an admin's topic allow-list authenticate it. docs/INTEGRATIONS.md
import { errorResponse, readBody } from "@/server/api/http";
import { getDb } from "@/server/db";
import { receiveSnsMessage, SnsRefusal } from "@/server/services/intake/sns";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  const now = new Date();
  const headers = { "Cache-Control": "no-store" };
  try {
    const result = await receiveSnsMessage(
      getDb(),
      {
        body: await readBody(request),
        contentType: request.headers.get("content-type"),
        messageType: request.headers.get("x-amz-sns-message-type"),
        topicArn: request.headers.get("x-amz-sns-topic-arn"),
      },
      { now },
    );
    return Response.json(result, { status: 200, headers });
  } catch (error) {
    if (!(error instanceof SnsRefusal)) return errorResponse(error, now, "POST /api/integrations/sns");
    const { status, code, message, issues } = error;
    return Response.json({ error: { code, message, ...(issues && { issues }) } }, { status, headers });
  }
}
