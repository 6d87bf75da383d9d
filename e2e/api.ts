// The orchestrator's side of the e2e specs: seeds targets, policies, snapshots and traffic through the
// real signed machine API, and drives the monitoring cycle through the cron route, as production would.
import { readFileSync } from "node:fs";
import { expect, type APIRequestContext } from "@playwright/test";
import { signRequest } from "../server/domain/api-keys";
import { e2eStateFile, type E2eState } from "./fixtures";

export function e2eState(): E2eState {
  return JSON.parse(readFileSync(e2eStateFile(Number(process.env.E2E_PORT ?? 3100)), "utf8")) as E2eState;
}

export interface TrafficEvent {
  ts: number;
  latencyMs: number;
  ok: boolean;
  costUsd: number;
  provider?: string;
  model?: string;
  /** The snapshot version that served it, as an orchestrator reports it. */
  snapshotVersion?: number;
}

/**
 * `count` events spread evenly over the `seconds` before `end`, served by snapshot `version`; every
 * `errorEvery`-th one fails.
 */
export function traffic(options: {
  end: number;
  seconds: number;
  count: number;
  version: number;
  errorEvery?: number;
  latencyMs?: number;
}) {
  const { end, seconds, count, version, errorEvery = 0, latencyMs = 400 } = options;
  return Array.from({ length: count }, (_, index): TrafficEvent => ({
    ts: end - seconds * 1000 + Math.floor((index * seconds * 1000) / count),
    latencyMs: latencyMs + (index % 7) * 20,
    ok: errorEvery === 0 || index % errorEvery !== 0,
    costUsd: 0.002,
    provider: "openai",
    model: "gpt-4o-mini",
    snapshotVersion: version,
  }));
}

export class RewindApi {
  private readonly state = e2eState();
  constructor(private readonly request: APIRequestContext) {}

  private async send(method: "PUT" | "POST", path: string, payload: unknown, expected: number[]) {
    const body = JSON.stringify(payload);
    const response = await this.request.fetch(`${this.state.baseUrl}${path}`, {
      method,
      data: body,
      headers: {
        Authorization: `Bearer ${this.state.apiKey}`,
        "Content-Type": "application/json",
        "X-Rewind-Signature": signRequest(this.state.signingSecret, Math.floor(Date.now() / 1000), body),
      },
    });
    expect(expected, `${method} ${path} answered ${response.status()}: ${await response.text()}`).toContain(
      response.status(),
    );
    return (await response.json()) as Record<string, unknown>;
  }

  putTarget(slug: string, body: { name: string; description?: string }) {
    return this.send("PUT", `/api/v1/targets/${slug}`, body, [200, 201]);
  }

  putPolicy(slug: string, policy: Record<string, unknown>) {
    return this.send("PUT", `/api/v1/targets/${slug}/policy`, policy, [200, 201]);
  }

  publishSnapshot(slug: string, config: Record<string, unknown>) {
    return this.send("POST", `/api/v1/targets/${slug}/snapshots`, { config }, [200, 201]);
  }

  ingest(slug: string, events: TrafficEvent[]) {
    return this.send("POST", "/api/v1/ingest", { target: slug, events }, [202]);
  }

  /** The target's latest verdict and active rollback (GET .../status). */
  async status(slug: string): Promise<TargetStatus> {
    const response = await this.request.get(`${this.state.baseUrl}/api/v1/targets/${slug}/status`, {
      headers: { Authorization: `Bearer ${this.state.apiKey}` },
    });
    expect(response.status(), await response.text()).toBe(200);
    return (await response.json()) as TargetStatus;
  }

  /** One monitoring cycle, as the external cron would run it; waits out the cycle's minimum spacing. */
  async runCycle(): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await this.request.post(`${this.state.baseUrl}/api/cron/monitor`, {
        headers: { Authorization: `Bearer ${this.state.cronSecret}` },
      });
      if (response.status() === 200) return;
      expect(response.status(), await response.text()).toBe(409);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    throw new Error("The monitoring cycle stayed busy for 10 attempts");
  }
}

export interface TargetStatus {
  verdict: { status: string; severity: string | null } | null;
  rollback: { id: string; status: string; trafficPercent: number } | null;
}
