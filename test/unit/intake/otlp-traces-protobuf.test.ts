// The OTLP traces adapter reads protobuf straight from protobufjs's messages, keeping only the attributes the mapping
// reads (server/services/intake/otlp-traces.ts). Whatever a request holds, that reading must map exactly as the full
// one does: the messages turned into OTLP/JSON's plain objects (toObject) and read by the JSON schema.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exportTraceRequestSchema, mapGenAiSpans } from "@/server/domain/intake/genai-spans";
import { TargetRuleSet } from "@/server/domain/intake/target-rules";
import { otlpTraceTypes } from "@/server/services/intake/otlp-proto";
import { otlpTracesAdapter } from "@/server/services/intake/otlp-traces";

const { request } = otlpTraceTypes();
const rules = new TargetRuleSet([
  { serviceName: "chat-api", operationName: "", model: "", target: "chat" },
  { serviceName: "chat-api", operationName: "chat", model: "gpt-4o*", target: "chat-gpt" },
]);

/** Both readings of one protobuf body, mapped. */
function bothReadings(message: Record<string, unknown>) {
  const body = Buffer.from(request.encode(request.fromObject(message)).finish());
  const full = exportTraceRequestSchema.parse(
    request.toObject(request.decode(body), { longs: String, enums: Number, bytes: String }),
  );
  const options = { bucketWidthMs: 10_000, targetRules: rules };
  return {
    direct: otlpTracesAdapter.map(otlpTracesAdapter.decode(body, "application/x-protobuf"), options),
    full: mapGenAiSpans(full, options),
  };
}

const S = 1_777_636_800_000_000_000n;
const nanos = (offsetMs: number) => String(S + BigInt(offsetMs) * 1_000_000n);
const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

describe("protobuf traces read straight from the decoder's messages", () => {
  it("map as the full reading does: every value kind, repeated keys, events, statuses, missing times, rules", () => {
    const { direct, full } = bothReadings({
      resourceSpans: [
        {
          resource: {
            attributes: [
              kv("service.name", { stringValue: "chat-api" }),
              kv("rewind.snapshot_version", { stringValue: "7" }),
              kv("host.name", { stringValue: "a" }),
            ],
          },
          scopeSpans: [
            {
              spans: [
                {
                  name: "chat gpt-4o",
                  startTimeUnixNano: nanos(0),
                  endTimeUnixNano: nanos(840),
                  attributes: [
                    kv("gen_ai.operation.name", { stringValue: "chat" }),
                    kv("gen_ai.request.model", { stringValue: "gpt-4o" }),
                    kv("gen_ai.request.model", { stringValue: "repeated: the first wins" }),
                    kv("gen_ai.usage.input_tokens", { intValue: "812" }),
                    kv("gen_ai.usage.output_tokens", { doubleValue: 1.5 }),
                    kv("gen_ai.cost.total_cost", { stringValue: "0.002" }),
                    kv("gen_ai.provider.name", { boolValue: true }),
                    kv("gen_ai.response.finish_reasons", { arrayValue: { values: [{ stringValue: "stop" }] } }),
                    kv("error.type", { bytesValue: Buffer.from("x") }),
                    kv("unset", {}),
                  ],
                  events: [
                    { name: "gen_ai.content.prompt", timeUnixNano: nanos(1) },
                    { name: "gen_ai.first_token", timeUnixNano: nanos(120) },
                  ],
                  status: { code: 2, message: "boom" },
                },
                {
                  startTimeUnixNano: nanos(0),
                  attributes: [kv("gen_ai.system", { stringValue: "openai" })],
                },
                { attributes: [kv("http.method", { stringValue: "POST" })] },
                {
                  startTimeUnixNano: nanos(0),
                  endTimeUnixNano: nanos(100),
                  attributes: [kv("gen_ai.operation.name", { stringValue: "invoke_agent" })],
                },
                {
                  startTimeUnixNano: nanos(0),
                  endTimeUnixNano: nanos(300),
                  attributes: [
                    kv("gen_ai.agent.name", { stringValue: "only an unread gen_ai attribute" }),
                    kv("rewind.target", { intValue: "5" }),
                  ],
                  status: {},
                },
              ],
            },
          ],
        },
        {
          scopeSpans: [
            {
              spans: [
                {
                  startTimeUnixNano: nanos(0),
                  endTimeUnixNano: nanos(5),
                  attributes: [kv("gen_ai.system", { stringValue: "x" })],
                },
              ],
            },
          ],
        },
        {},
      ],
    });
    expect(direct).toEqual(full);
    expect(direct.items.length + direct.refused.length + direct.ignored).toBe(6);
  });

  it("map as the full reading does on random requests", () => {
    const keys = fc.constantFrom(
      "gen_ai.operation.name",
      "gen_ai.request.model",
      "gen_ai.response.model",
      "gen_ai.provider.name",
      "gen_ai.system",
      "gen_ai.usage.input_tokens",
      "gen_ai.usage.completion_tokens",
      "gen_ai.cost.total_cost",
      "gen_ai.response.time_to_first_chunk",
      "error.type",
      "rewind.target",
      "rewind.snapshot_version",
      "service.name",
      "gen_ai.agent.name",
      "http.route",
    );
    const value = fc.oneof(
      fc.record({
        stringValue: fc.constantFrom("", "chat", "gpt-4o", "gpt-4o-mini", "chat-api", " 12 ", "execute_tool"),
      }),
      fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
      fc.record({ doubleValue: fc.double() }),
      fc.record({ boolValue: fc.boolean() }),
      fc.constant({}),
    );
    const attributes = fc.array(fc.record({ key: keys, value }), { maxLength: 8 });
    const time = fc.option(fc.integer({ min: 0, max: 5_000 }).map(nanos), { nil: undefined });
    const span = fc.record(
      {
        startTimeUnixNano: time,
        endTimeUnixNano: time,
        attributes,
        events: fc.array(fc.record({ name: fc.constantFrom("gen_ai.first_chunk", "other"), timeUnixNano: time }), {
          maxLength: 2,
        }),
        status: fc.option(fc.record({ code: fc.integer({ min: 0, max: 2 }) }), { nil: undefined }),
      },
      { requiredKeys: ["attributes"] },
    );
    const message = fc.record({
      resourceSpans: fc.array(
        fc.record({
          resource: fc.record({ attributes }),
          scopeSpans: fc.array(fc.record({ spans: fc.array(span, { maxLength: 4 }) }), { maxLength: 2 }),
        }),
        { maxLength: 2 },
      ),
    });
    fc.assert(
      fc.property(message, (generated) => {
        const { direct, full } = bothReadings(generated);
        expect(direct).toEqual(full);
      }),
      { numRuns: 300 },
    );
  });
});
