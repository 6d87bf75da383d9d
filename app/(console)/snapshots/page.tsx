import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Snapshots" };

export default function SnapshotsPage() {
  return (
    <>
      <PageHeader title="Snapshots" description="Versioned configurations and their known-good marks." />
      <EmptyState title="The snapshots page is not built yet">
        The orchestrator publishes snapshots with <code>{"POST /api/v1/targets/{slug}/snapshots"}</code> (docs/API.md);
        this page does not list them yet.
      </EmptyState>
    </>
  );
}
