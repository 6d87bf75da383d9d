// How notifications leave Rewind: one POST per attempt, with a timeout, never following redirects.
// Channels use `post` or wrap it to read their service's error answers.
import "server-only";

export interface OutboundRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}
export type Send = (request: OutboundRequest) => Promise<void>;

/**
 * A failure that retrying the same request cannot fix (the service called the request invalid): the
 * delivery becomes a dead letter at once instead of after every retry. An admin who fixes the channel's
 * settings retries it from the dead letters; the request is built anew then.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentDeliveryError";
  }
}

/** POST with a 5 s timeout; redirects are not followed, so a body never lands where no admin pointed it. */
export async function postRequest({ url, body, headers }: OutboundRequest): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers,
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(5_000),
  });
}

/** Anything but 2xx (a 3xx too) is a failure, retried with backoff. */
export const post: Send = async (request) => {
  const response = await postRequest(request);
  // The body is not needed: release the connection.
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new Error(`HTTP ${response.status} from the webhook`);
};
