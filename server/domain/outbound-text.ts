// Text Rewind sends to other systems, made safe for the format that reads it. Slack's mrkdwn gives `<…>` and
// `&` meaning (links, mentions such as <!channel>, entities); JSON channels (PagerDuty, webhooks) carry text as
// data and need no escaping. Links in any message point into the configured dashboard only.

/**
 * Slack's documented escaping (api.slack.com, "Escaping text"): `&`, `<` and `>` as HTML entities, which Slack
 * shows as the characters themselves. Nothing a user typed can then mention a channel, a person or a group, or
 * show a link whose text hides where it goes.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A mrkdwn text object for text that holds anything user-controlled: escaped, and `verbatim` so that Slack does
 * not turn bare URLs, channel names or `@here` in it into links or mentions either.
 */
export function slackText(mrkdwn: string) {
  return { type: "mrkdwn" as const, text: mrkdwn, verbatim: true };
}

/**
 * `<url|label>`: the label escaped, and in the URL the characters that would end the link or start an entity
 * percent- or entity-encoded, so the link goes where `url` says and reads as `label`.
 */
export function slackLink(url: string, label: string): string {
  const safeUrl = url.replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E").replace(/\|/g, "%7C");
  return `<${safeUrl}|${escapeSlackText(label)}>`;
}

/**
 * A page of the dashboard at `appUrl` (the configured APP_URL): each segment percent-encoded, so no id or slug
 * can lead the link to another host or path. Throws for an empty, "." or ".." segment (a URL parser resolves
 * them away, even encoded; Rewind's ids and slugs are never one), and when `appUrl` is not an absolute http(s)
 * URL, which the environment's validation already guarantees.
 */
export function dashboardUrl(appUrl: string, ...segments: string[]): string {
  const base = new URL(appUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error(`The dashboard URL must be http(s), got ${base.protocol}`);
  }
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new Error(`Not a path segment of a dashboard link: "${segment}"`);
    }
  }
  return [appUrl.replace(/\/+$/, ""), ...segments.map(encodeURIComponent)].join("/");
}
