import { EmptyState, PageHeader } from "@/components/ui";

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" description="Every monitored target, worst first." />
      <EmptyState title="The overview is not built yet">
        Rewind already monitors targets: the built-in scheduler evaluates every monitored target every 10 s, and
        rollbacks, approvals and the audit history work through the API (docs/API.md) and tRPC. This page does not show
        them yet; it shows no data rather than made-up data.
      </EmptyState>
    </>
  );
}
