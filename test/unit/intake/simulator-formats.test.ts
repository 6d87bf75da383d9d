// `npm run simulate -- --via otlp|litellm` sends its requests in other senders' formats (scripts/lib/intake-formats.ts):
// through Rewind's own adapters they must read back as the very events /api/v1/ingest would have been sent.
import { describe, expect, it } from "vitest";
import { liteLlmAdapter } from "@/server/services/intake/litellm";
import { otlpTracesAdapter } from "@/server/services/intake/otlp-traces";
import { liteLlmPayloads, otlpTraces } from "@/scripts/lib/intake-formats";
import type { RequestEvent } from "@/scripts/lib/traffic";

const base = { provider: "openai", model: "gpt-4o", inputTokens: 900, outputTokens: 250 };
const events: RequestEvent[] = [
  { ...base, ts: 1_777_636_800_840, latencyMs: 840, ok: true, costUsd: 0.00475, ttftMs: 420, snapshotVersion: 2 },
  { ...base, ts: 1_777_636_801_000, latencyMs: 250, ok: false, costUsd: 0, outputTokens: 0, snapshotVersion: 1 },
  { ...base, ts: 1_777_636_802_500, latencyMs: 1_210, ok: true, costUsd: 0.0051 },
];

/** What the adapters map to, without their `sources` bookkeeping. */
function mappedEvents(batch: { items: { event: Record<string, unknown> }[]; refused: unknown[] }) {
  expect(batch.refused).toEqual([]);
  return batch.items.map((item) => item.event);
}

const expected = events.map(
  ({ ts, latencyMs, ok, costUsd, provider, model, inputTokens, outputTokens, ...rest }): unknown =>
    expect.objectContaining({
      ts,
      latencyMs,
      ok,
      costUsd,
      provider,
      model,
      inputTokens,
      outputTokens,
      ...(rest.ttftMs !== undefined && { ttftMs: rest.ttftMs }),
      ...(rest.snapshotVersion !== undefined && { snapshotVersion: rest.snapshotVersion }),
    }),
);

describe("the simulator's other formats", () => {
  it("OTLP/JSON spans read back as the simulator's events, with the target on the resource", () => {
    const body = Buffer.from(JSON.stringify(otlpTraces("sim-chat", events)));
    const batch = otlpTracesAdapter.map(otlpTracesAdapter.decode(body, "application/json"), { bucketWidthMs: 10_000 });
    expect(mappedEvents(batch)).toEqual(expected);
    expect(batch.items.map((item) => (item as { target?: string }).target)).toEqual([
      "sim-chat",
      "sim-chat",
      "sim-chat",
    ]);
  });

  it("LiteLLM payloads read back as the simulator's events", () => {
    const body = Buffer.from(JSON.stringify(liteLlmPayloads(events)));
    const batch = liteLlmAdapter.map(liteLlmAdapter.decode(body, "application/json"), { bucketWidthMs: 10_000 });
    expect(mappedEvents(batch)).toEqual(expected);
  });
});
