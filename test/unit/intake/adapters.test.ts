// The intake adapters' own parts, without a server: body forms each decoder takes, and the replies in the request's
// encoding. The official OTel exporters and the server are test/http/otlp.test.ts and litellm-intake.test.ts.
import { describe, expect, it } from "vitest";
import { intakeAdapters } from "@/server/services/intake/adapters";
import { liteLlmAdapter } from "@/server/services/intake/litellm";
import { otlpTraceTypes } from "@/server/services/intake/otlp-proto";
import { otlpTracesAdapter } from "@/server/services/intake/otlp-traces";
import { mediaTypeOf } from "@/server/services/intake/receive";
import { IntakeError } from "@/server/services/intake/types";

/** Asymmetric matchers typed as the values they stand for (they are `any`). */
const matching = (pattern: RegExp) => expect.stringMatching(pattern) as string;

const span = {
  name: "chat gpt-4o",
  startTimeUnixNano: "1777636800000000000",
  endTimeUnixNano: "1777636800840000000",
  attributes: [
    { key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } },
    { key: "gen_ai.usage.input_tokens", value: { intValue: "812" } },
  ],
  status: { code: 2 },
};
const request = { resourceSpans: [{ scopeSpans: [{ spans: [span, { name: "GET /health" }] }] }] };

describe("otlp-traces adapter", () => {
  it("reads binary protobuf and OTLP/JSON to the same spans", () => {
    const { request: type } = otlpTraceTypes();
    const protobuf = Buffer.from(type.encode(type.fromObject(request)).finish());
    const options = { bucketWidthMs: 10_000 };
    const fromProtobuf = otlpTracesAdapter.map(otlpTracesAdapter.decode(protobuf, "application/x-protobuf"), options);
    const fromJson = otlpTracesAdapter.map(
      otlpTracesAdapter.decode(Buffer.from(JSON.stringify(request)), "application/json"),
      options,
    );
    expect(fromProtobuf).toEqual(fromJson);
    expect(fromJson).toMatchObject({
      ignored: 1,
      items: [{ event: { latencyMs: 840, ok: false, model: "gpt-4o", inputTokens: 812 } }],
    });
  });

  it("refuses bodies that are not the format with 400", () => {
    const refused = (body: string, contentType: string) => {
      try {
        otlpTracesAdapter.decode(Buffer.from(body), contentType);
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(refused("{not json", "application/json")).toMatchObject({ status: 400, message: /not valid JSON/ });
    expect(refused('{"resourceSpans":{}}', "application/json")).toMatchObject({
      status: 400,
      message: /resourceSpans: Resource spans must be a list/,
    });
    expect(refused("\u00ff\u00ff\u00ff\u00ff", "application/x-protobuf")).toBeInstanceOf(IntakeError);
  });

  it("answers in the request's encoding: partial success with the refused spans, a warning when nothing was GenAI", () => {
    const outcome = {
      target: null,
      accepted: 1,
      refused: [{ path: "resourceSpans.0.scopeSpans.0.spans.1", reason: "No such target: nope" }],
      ignored: 0,
      results: [],
    };
    const json = otlpTracesAdapter.reply(outcome, "application/json");
    expect(json).toMatchObject({ status: 200, contentType: "application/json" });
    expect(JSON.parse(json.body as string)).toEqual({
      partialSuccess: {
        rejectedSpans: "1",
        errorMessage: "1 span refused: resourceSpans.0.scopeSpans.0.spans.1: No such target: nope",
      },
    });
    const protobuf = otlpTracesAdapter.reply(outcome, "application/x-protobuf");
    const { response } = otlpTraceTypes();
    expect(response.toObject(response.decode(protobuf.body as Uint8Array), { longs: Number })).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: matching(/^1 span refused/) },
    });
    const quiet = otlpTracesAdapter.reply({ ...outcome, refused: [], accepted: 3 }, "application/json");
    expect(JSON.parse(quiet.body as string)).toEqual({});
    const nothing = otlpTracesAdapter.reply({ ...outcome, refused: [], accepted: 0, ignored: 4 }, "application/json");
    expect(JSON.parse(nothing.body as string)).toEqual({
      partialSuccess: { rejectedSpans: "0", errorMessage: matching(/No GenAI model call among 4 spans/) },
    });
  });

  it("refuses with a google.rpc.Status whose code follows the HTTP status", () => {
    const refusal = { status: 401, code: "UNAUTHORIZED", message: "Unknown API key", headers: {} };
    expect(JSON.parse(otlpTracesAdapter.refusal(refusal, null).body as string)).toEqual({
      code: 16,
      message: "Unknown API key",
    });
    const { status } = otlpTraceTypes();
    const binary = otlpTracesAdapter.refusal(
      { ...refusal, status: 400, code: "BAD_REQUEST" },
      "application/x-protobuf",
    );
    expect(status.toObject(status.decode(binary.body as Uint8Array))).toEqual({ code: 3, message: "Unknown API key" });
  });
});

describe("litellm adapter", () => {
  const payload = { status: "success", startTime: 1, endTime: 2 };
  const decode = (body: string) => liteLlmAdapter.decode(Buffer.from(body), "application/json");

  it("takes log_format json_array (default), single and ndjson, and { data: [...] }", () => {
    expect(decode(JSON.stringify([payload, payload])).map((entry) => entry.path)).toEqual(["0", "1"]);
    expect(decode(JSON.stringify({ data: [payload] })).map((entry) => entry.path)).toEqual(["data.0"]);
    expect(decode(JSON.stringify(payload))).toEqual([{ path: "", payload }]);
    expect(decode(`${JSON.stringify(payload)}\n${JSON.stringify(payload)}\n`).map((entry) => entry.path)).toEqual([
      "0",
      "1",
    ]);
  });

  it("refuses an empty body and lines that are not JSON with 400", () => {
    expect(() => decode("  ")).toThrow(/empty/);
    expect(() => decode(`${JSON.stringify(payload)}\n{oops`)).toThrow(/Line 2 is not valid JSON/);
    expect(() => decode("{oops")).toThrow(/Body is not valid JSON/);
  });

  it("answers errors as the machine API does", () => {
    const reply = liteLlmAdapter.refusal(
      { status: 422, code: "VALIDATION", message: "1 payload refused", issues: { "0.status": "bad" }, headers: {} },
      "application/json",
    );
    expect(JSON.parse(reply.body as string)).toEqual({
      error: { code: "VALIDATION", message: "1 payload refused", issues: { "0.status": "bad" } },
    });
  });
});

describe("the registry", () => {
  it("names each adapter once with the media types it takes", () => {
    expect(Object.keys(intakeAdapters)).toEqual(["otlp-traces", "otlp-metrics", "litellm"]);
    expect(intakeAdapters["otlp-traces"].contentTypes).toEqual(["application/x-protobuf", "application/json"]);
    expect(mediaTypeOf("Application/JSON; charset=utf-8")).toBe("application/json");
    expect(mediaTypeOf(null)).toBeNull();
  });
});
