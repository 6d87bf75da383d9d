import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Flags" };

export default function FlagsPage() {
  return (
    <>
      <PageHeader title="Feature flags" description="Switches the orchestrator reads, and the kill switches." />
      <EmptyState title="No feature flags yet">
        Feature flags and the emergency stop are not part of this version yet.
      </EmptyState>
    </>
  );
}
