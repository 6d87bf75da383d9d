// External alert sources whose alerts become verdicts (server/services/intake/external-alerts.ts), with the name
// people know them by: the verdict records the key, pages and the incident report show the name.
export const ALERT_SOURCES = { alertmanager: "Alertmanager", cloudwatch: "CloudWatch" } as const;
export type AlertSource = keyof typeof ALERT_SOURCES;

/** The name of a recorded source, or the source as recorded when it is not one of ours. */
export function alertSourceName(source: string): string {
  return Object.hasOwn(ALERT_SOURCES, source) ? ALERT_SOURCES[source as AlertSource] : source;
}
