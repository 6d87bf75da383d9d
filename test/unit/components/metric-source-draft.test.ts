// The pulled-source form's state ↔ the input the server validates: empty fields left out, dimensions from
// "Name=Value" lines, a saved source read back into the form unchanged.
import { describe, expect, it } from "vitest";
import { draftOf, emptyDraft, inputOf, issueUnder } from "@/components/settings/metric-source-draft";
import { metricSourceInputSchema } from "@/server/domain/pulled-sources/config";

describe("metric source draft", () => {
  it("leaves empty fields out and keeps each kind's queries apart", () => {
    const draft = emptyDraft();
    draft.url = " http://prom:9090 ";
    draft.queries.PROMETHEUS.requestCount = "sum(x)";
    draft.queries.CLOUDWATCH.requestCount = "n";
    expect(inputOf(draft)).toEqual({
      kind: "PROMETHEUS",
      enabled: true,
      config: { url: "http://prom:9090", timeoutSeconds: 5, queries: { requestCount: "sum(x)" } },
    });
    expect(inputOf({ ...draft, secret: "token", timeoutSeconds: "" })).toMatchObject({ bearerToken: "token" });
    expect(inputOf({ ...draft, secret: "token", removeSecret: true })).toMatchObject({ bearerToken: null });
    expect(inputOf({ ...draft, timeoutSeconds: "five" }).config.timeoutSeconds).toBeNaN();
  });

  it("reads dimensions from lines and round-trips a saved CloudWatch source", () => {
    const draft = {
      ...emptyDraft("CLOUDWATCH"),
      region: "us-east-1",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      metrics: [
        {
          id: "n",
          namespace: "AWS/Bedrock",
          metricName: "Invocations",
          dimensions: "ModelId=a=b\n\n Region = x ",
          stat: "Sum",
        },
      ],
    };
    draft.queries.CLOUDWATCH.requestCount = "n";
    const input = inputOf(draft);
    expect(input.config).toMatchObject({
      metrics: [
        {
          dimensions: [
            { name: "ModelId", value: "a=b" },
            { name: "Region", value: "x" },
          ],
        },
      ],
    });
    const saved = metricSourceInputSchema.parse(input);
    const back = draftOf({ kind: saved.kind, enabled: saved.enabled, config: saved.config });
    expect(inputOf(back)).toEqual({ ...input, config: { ...input.config, timeoutSeconds: 5 } });
    expect(draftOf({ kind: "PROMETHEUS", enabled: false, config: { unreadable: true } })).toMatchObject({
      url: "",
      enabled: false,
    });
  });

  it("finds the first issue at or under a path", () => {
    const issues = { "config.metrics.0.dimensions.1.value": "Enter the dimension value", "config.url": "bad" };
    expect(issueUnder(issues, "config.metrics.0.dimensions")).toBe("Enter the dimension value");
    expect(issueUnder(issues, "config.url")).toBe("bad");
    expect(issueUnder(issues, "config.region")).toBeUndefined();
  });
});
