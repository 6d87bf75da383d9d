import type { Metadata } from "next";
import { IntegrationsAdmin } from "@/components/settings/integrations-admin";
import { MetricSourcesAdmin } from "@/components/settings/metric-sources-admin";
import { SettingsSection } from "@/components/settings/settings-section";
import { TargetRulesAdmin } from "@/components/settings/target-rules-admin";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Integrations · Settings" };

export default async function IntegrationsPage() {
  await requirePageUser("ADMIN");
  return (
    <SettingsSection
      title="Integrations"
      description="Which target OTLP traffic goes to by its service, CloudWatch alarms through Amazon SNS (the topics Rewind accepts, which alarm speaks for which target), what alert senders sent that Rewind refused, and targets judged on metrics pulled from Prometheus or CloudWatch."
    >
      <div className="space-y-10">
        <TargetRulesAdmin />
        <IntegrationsAdmin />
        <MetricSourcesAdmin />
      </div>
    </SettingsSection>
  );
}
