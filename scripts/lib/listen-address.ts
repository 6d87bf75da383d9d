// The address `npm start` binds (HOST, validated in server/env.js), the server process it starts there, and how
// the start script reaches it.
import path from "node:path";

/**
 * The production server process (scripts/serve.ts: Next.js plus the intake fast path) listening on `port` and
 * `host`: what `npm start`, the e2e run and the http tests' built app all spawn, with `cwd` the checkout's root.
 */
export function serverProcess(
  port: string,
  host: string,
): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: ["--conditions=react-server", "--import", "tsx", path.join(import.meta.dirname, "..", "serve.ts")],
    env: { PORT: port, HOST: host, NODE_ENV: "production" },
  };
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
