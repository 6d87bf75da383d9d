"use client";
// Settings → Notifications: Slack (and approvals from Slack), PagerDuty, outbound webhooks and the deliveries that failed.
import { DeadLetters } from "./dead-letters";
import { PagerDutySettings } from "./pagerduty-settings";
import { SlackAppSettings } from "./slack-app-settings";
import { SlackSettings } from "./slack-settings";
import { WebhooksAdmin } from "./webhooks-admin";

export function NotificationsAdmin() {
  return (
    <div className="space-y-10">
      <SlackSettings />
      <SlackAppSettings />
      <PagerDutySettings />
      <WebhooksAdmin />
      <DeadLetters />
    </div>
  );
}
