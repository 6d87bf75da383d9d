"use client";
// Settings → Notifications: Slack, PagerDuty, outbound webhooks and the deliveries that failed.
import { DeadLetters } from "./dead-letters";
import { PagerDutySettings } from "./pagerduty-settings";
import { SlackSettings } from "./slack-settings";
import { WebhooksAdmin } from "./webhooks-admin";

export function NotificationsAdmin() {
  return (
    <div className="space-y-10">
      <SlackSettings />
      <PagerDutySettings />
      <WebhooksAdmin />
      <DeadLetters />
    </div>
  );
}
