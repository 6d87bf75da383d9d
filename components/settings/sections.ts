// The settings sections, for the sub-navigation and the settings index (a plain module: server pages import it).
export const settingsSections = [
  { href: "/settings/users", label: "Users", description: "Who can sign in, and with which role." },
  {
    href: "/settings/api-keys",
    label: "API keys",
    description: "Keys for the orchestrator, CI and Alertmanager: scopes, targets, signing, revocation.",
  },
  {
    href: "/settings/notifications",
    label: "Notifications",
    description: "Slack, outbound webhooks and deliveries that failed.",
  },
  {
    href: "/settings/integrations",
    label: "Integrations",
    description:
      "CloudWatch alarms through SNS: allowed topics, alarm → target table, and what senders sent that was refused.",
  },
  {
    href: "/settings/scheduler",
    label: "Scheduler",
    description: "When the monitoring cycle last ran, how long it took, and when it runs next.",
  },
] as const;
