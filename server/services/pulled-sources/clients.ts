// The registry of pulled metric sources (practice 11): one client per kind, each answering `pull` with the
// readings of one window. Adding a kind: its config schema in server/domain/pulled-sources/config.ts, its
// client file here, one entry below; nothing else names a kind.
import "server-only";
import type { MetricSourceConfig, MetricSourceKind } from "../../domain/pulled-sources/config";
import { PullFailure, pullFailureOf, type PulledReadings, type PullWindow } from "../../domain/pulled-sources/readings";
import { cloudWatchClient } from "./cloudwatch-client";
import { prometheusClient } from "./prometheus-client";
import type { PullClient } from "./pull-client";

export const pullClients: { [Kind in MetricSourceKind]: PullClient<Kind> } = {
  PROMETHEUS: prometheusClient,
  CLOUDWATCH: cloudWatchClient,
};

/**
 * Pulls one source with its own timeout. Every failure — the source's answer, the network, the timeout, a
 * bug — comes back as a PullFailure whose message is safe to store and show (it never holds the secret).
 */
export async function pullSource(
  source: MetricSourceConfig,
  secret: string | null,
  window: PullWindow,
): Promise<PulledReadings> {
  const timeoutMs = source.config.timeoutSeconds * 1000;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const client = pullClients[source.kind] as PullClient<MetricSourceKind>;
    return await client.pull(source.config, secret, window, signal);
  } catch (error) {
    if (signal.aborted)
      throw new PullFailure(`no answer within ${source.config.timeoutSeconds} s (the source's timeout)`);
    throw pullFailureOf(error);
  }
}
