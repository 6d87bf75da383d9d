// Who may scrape GET /api/metrics, and what they see. A production server needs METRICS_TOKEN unless it is
// made public on purpose; without the token nobody learns the lease holder (its host name and process id).

export type MetricsAccess =
  | { serve: true; showLeaseHolder: boolean }
  | { serve: false; status: 401 | 503; code: "UNAUTHORIZED" | "NOT_CONFIGURED"; message: string };

/**
 * `presented` is the request's bearer token check: "none" without an Authorization header, else whether
 * it matched the configured token. A wrong token is refused even where the metrics are public, so a
 * misconfigured scraper is told so instead of silently losing the holder.
 */
export function metricsAccess(options: {
  production: boolean;
  tokenConfigured: boolean;
  public: boolean;
  presented: "none" | "valid" | "wrong";
}): MetricsAccess {
  const { production, tokenConfigured, presented } = options;
  if (tokenConfigured && presented === "valid") return { serve: true, showLeaseHolder: true };
  if (tokenConfigured && presented === "wrong") {
    return { serve: false, status: 401, code: "UNAUTHORIZED", message: "Missing or wrong metrics token" };
  }
  if (options.public || (!production && !tokenConfigured)) return { serve: true, showLeaseHolder: false };
  if (tokenConfigured) {
    return { serve: false, status: 401, code: "UNAUTHORIZED", message: "Missing or wrong metrics token" };
  }
  return {
    serve: false,
    status: 503,
    code: "NOT_CONFIGURED",
    message:
      "Set METRICS_TOKEN (scrapes send it as Authorization: Bearer) or METRICS_PUBLIC=true to serve these metrics",
  };
}
