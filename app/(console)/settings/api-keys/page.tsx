import type { Metadata } from "next";
import { ApiKeysAdmin } from "@/components/settings/api-keys-admin";
import { SettingsSection } from "@/components/settings/settings-section";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "API keys · Settings" };

export default async function ApiKeysPage() {
  await requirePageUser("ADMIN");
  return (
    <SettingsSection
      title="API keys"
      description="Credentials of machine clients (the orchestrator, CI, Alertmanager) for the /api/v1 endpoints."
    >
      <ApiKeysAdmin />
    </SettingsSection>
  );
}
