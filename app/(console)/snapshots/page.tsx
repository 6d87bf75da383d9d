import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Snapshots" };

export default function SnapshotsPage() {
  return (
    <>
      <PageHeader title="Snapshots" description="Versioned configurations and their known-good marks." />
      <EmptyState title="No snapshots yet">
        The orchestrator publishes configuration snapshots through the API, which this version does not offer yet.
      </EmptyState>
    </>
  );
}
