import type { Metadata } from "next";
import { SchedulerStatus } from "@/components/settings/scheduler-status";
import { SettingsSection } from "@/components/settings/settings-section";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Scheduler · Settings" };

export default async function SchedulerPage() {
  await requirePageUser("ADMIN");
  return (
    <SettingsSection
      title="Scheduler"
      description="The monitoring cycle evaluates every target and moves rollbacks along; one instance runs it at a time."
    >
      <SchedulerStatus />
    </SettingsSection>
  );
}
