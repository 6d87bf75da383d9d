import type { Metadata } from "next";
import { NotificationsAdmin } from "@/components/settings/notifications-admin";
import { SettingsSection } from "@/components/settings/settings-section";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Notifications · Settings" };

export default async function NotificationsPage() {
  await requirePageUser("ADMIN");
  return (
    <SettingsSection
      title="Notifications"
      description="Where Rewind announces rollbacks, emergency stops and configuration changes (Slack, PagerDuty, webhooks), and what could not be delivered."
    >
      <NotificationsAdmin />
    </SettingsSection>
  );
}
