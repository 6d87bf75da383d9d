import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dashboardLink, slackMessage } from "@/server/domain/notification-channels";
import { dashboardUrl, escapeSlackText, slackLink, slackText } from "@/server/domain/outbound-text";

const APP = "https://rewind.example.test";

/** What Slack shows for escaped text: its three entities decoded. */
function shownBySlack(mrkdwn: string): string {
  return mrkdwn.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

describe("Slack escaping", () => {
  it("escapes the hostile target name and reason of issue #12", () => {
    expect(escapeSlackText("<!channel> <https://evil.example/login|Approve in Rewind>")).toBe(
      "&lt;!channel&gt; &lt;https://evil.example/login|Approve in Rewind&gt;",
    );
    expect(escapeSlackText("<!here> & <@U123> &amp;")).toBe("&lt;!here&gt; &amp; &lt;@U123&gt; &amp;amp;");
  });

  it("leaves no control character in any text, and Slack shows it exactly as typed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-composite" }), (text) => {
        const escaped = escapeSlackText(text);
        expect(escaped).not.toMatch(/[<>]/);
        expect(escaped.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
        expect(shownBySlack(escaped)).toBe(text);
      }),
    );
  });

  it("marks text verbatim, so bare URLs and @mentions are not parsed either", () => {
    expect(slackText("@here https://evil.example")).toEqual({
      type: "mrkdwn",
      text: "@here https://evil.example",
      verbatim: true,
    });
  });

  it("builds links whose URL cannot end early and whose label is text", () => {
    expect(slackLink(`${APP}/rollbacks/rb1`, "Open in Rewind")).toBe(`<${APP}/rollbacks/rb1|Open in Rewind>`);
    expect(slackLink("https://a.example/x?a=1&b=<2>|3", "<!channel> & co")).toBe(
      "<https://a.example/x?a=1&amp;b=%3C2%3E%7C3|&lt;!channel&gt; &amp; co>",
    );
  });

  it("sends a message whose only control sequence is the dashboard link, not unfurled", () => {
    const message = slackMessage(
      { title: "<!channel> <https://evil.example|Approve>", body: "<!here>", severity: "EMERGENCY", rollbackId: "r1" },
      APP,
    );
    expect(JSON.stringify(message).match(/<[^<>]*>/g)).toEqual([`<${APP}/rollbacks/r1|Open in Rewind>`]);
    expect(message).toMatchObject({ unfurl_links: false, unfurl_media: false });
  });
});

describe("dashboard links", () => {
  it("stay under the configured URL whatever the ids hold", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((id) => id !== "." && id !== ".."),
        fc.constantFrom("rollbacks", "targets"),
        (id, kind) => {
          const link =
            kind === "rollbacks"
              ? dashboardLink(APP, { rollbackId: id })
              : dashboardLink(APP, { rollbackId: null }, { slug: id });
          const url = new URL(link);
          expect(url.origin).toBe(APP);
          expect(url.pathname.startsWith(`/${kind}/`)).toBe(true);
          expect(url.pathname.split("/")).toHaveLength(3);
        },
      ),
    );
    expect(dashboardLink(APP, { rollbackId: "../../evil" })).toBe(`${APP}/rollbacks/..%2F..%2Fevil`);
    expect(() => dashboardLink(APP, { rollbackId: ".." })).toThrow(/path segment/);
    expect(dashboardLink(APP, { rollbackId: "//evil.example" })).toBe(`${APP}/rollbacks/%2F%2Fevil.example`);
  });

  it("keep a base path and drop a trailing slash; refuse a base that is not http(s)", () => {
    expect(dashboardUrl("https://ops.example/rewind/", "targets", "chat")).toBe(
      "https://ops.example/rewind/targets/chat",
    );
    expect(dashboardUrl(APP)).toBe(APP);
    expect(() => dashboardUrl("javascript:alert(1)", "x")).toThrow(/http/);
  });
});
