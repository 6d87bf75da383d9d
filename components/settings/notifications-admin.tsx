"use client";
// Settings → Notifications: Slack, outbound webhooks and the deliveries that failed.
import { DeadLetters } from "./dead-letters";
import { SlackSettings } from "./slack-settings";
import { WebhooksAdmin } from "./webhooks-admin";

export function NotificationsAdmin() {
  return (
    <div className="space-y-10">
      <SlackSettings />
      <WebhooksAdmin />
      <DeadLetters />
    </div>
  );
}
