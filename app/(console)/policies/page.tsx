import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Policies" };

export default function PoliciesPage() {
  return (
    <>
      <PageHeader title="Policies" description="SLO thresholds and rollback rules per target." />
      <EmptyState title="The policy editor is not built yet">
        Policies are versioned per target and can be set with <code>{"PUT /api/v1/targets/{slug}/policy"}</code>{" "}
        (docs/API.md); this page does not edit them yet.
      </EmptyState>
    </>
  );
}
