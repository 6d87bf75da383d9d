import type { Metadata } from "next";
import { IntegrationsAdmin } from "@/components/settings/integrations-admin";
import { SettingsSection } from "@/components/settings/settings-section";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Integrations · Settings" };

export default async function IntegrationsPage() {
  await requirePageUser("ADMIN");
  return (
    <SettingsSection
      title="Integrations"
      description="CloudWatch alarms through Amazon SNS: the topics Rewind accepts, which alarm speaks for which target, and what alert senders sent that Rewind refused."
    >
      <IntegrationsAdmin />
    </SettingsSection>
  );
}
