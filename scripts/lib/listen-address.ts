// The address `npm start` binds (HOST, validated in server/env.js) and how the start script reaches it.

/** Arguments of `next start` for a port and a bind address. */
export function nextStartArgs(port: string, host: string): string[] {
  return ["start", "-p", port, "-H", host];
}

/** Where this machine reaches a server bound to `host`: the loopback for the wildcard addresses. */
export function reachableHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
