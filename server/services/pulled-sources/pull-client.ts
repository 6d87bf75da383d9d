// What every pulled-source client answers (clients.ts lists one per kind).
import "server-only";
import type { MetricSourceConfig, MetricSourceKind } from "../../domain/pulled-sources/config";
import type { PulledReadings, PullWindow } from "../../domain/pulled-sources/readings";

export type ConfigOf<Kind extends MetricSourceKind> = Extract<MetricSourceConfig, { kind: Kind }>["config"];

export interface PullClient<Kind extends MetricSourceKind> {
  kind: Kind;
  /**
   * The readings of `window`, or a PullFailure saying why not. `secret` is the kind's write-only secret
   * (Prometheus' bearer token, CloudWatch's secret access key), null when none is saved. Stops at `signal`.
   */
  pull(config: ConfigOf<Kind>, secret: string | null, window: PullWindow, signal: AbortSignal): Promise<PulledReadings>;
}
