// The console pages' Content-Security-Policy: scripts run only with this response's nonce (Next puts it on
// its own scripts, and 'strict-dynamic' extends trust to the chunks they load), nothing may frame a page.
// The headers every response gets, pages or not, are in next.config.js.

/**
 * `nonce` is fresh random base64 for each response. `dev` allows eval, which React needs in development
 * only (rebuilding server error stacks); `https` asks the browser to upgrade any stray http:// subresource.
 */
export function contentSecurityPolicy(options: { nonce: string; dev: boolean; https: boolean }): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    // Styles keep 'unsafe-inline': React writes `style` attributes into server-rendered HTML (recharts'
    // sizes, progress widths), which no nonce can cover, and Radix's dialog adds a <style> element at run
    // time without one. Injected CSS cannot run script; the script policy above is what stops XSS.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** Whether the visitor reached the server over HTTPS: TLS ends at a proxy, which says so in X-Forwarded-Proto. */
export function servedOverHttps(forwardedProto: string | null, protocol: string): boolean {
  const first = forwardedProto?.split(",")[0]?.trim().toLowerCase();
  return first === "https" || (!first && protocol === "https:");
}
