import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Flags" };

export default function FlagsPage() {
  return (
    <>
      <PageHeader title="Feature flags" description="Switches the orchestrator reads, and the kill switches." />
      <EmptyState title="The feature flags page is not built yet">
        Feature flags and the emergency stop work through tRPC (flags, system); this page does not show them yet.
      </EmptyState>
    </>
  );
}
