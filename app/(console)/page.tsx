import { EmptyState, PageHeader } from "@/components/ui";

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" description="Every monitored target, worst first." />
      <EmptyState title="No targets are monitored yet">
        Targets, their live metrics and verdicts arrive with the evaluation engine, which this version of Rewind does
        not include yet. Nothing here is hidden: there is simply nothing to show.
      </EmptyState>
    </>
  );
}
