import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { IncidentReport, type IncidentReportView } from "@/components/rollbacks/incident-report-view";
import { EmptyState, PageHeader } from "@/components/ui";
import { serverCaller } from "@/server/api/server-caller";

export const metadata: Metadata = { title: "Incident report" };

const linkClass = "text-indigo-700 underline hover:text-indigo-900";

export default async function IncidentReportPage({ params }: { params: Promise<{ id: string }> }) {
  const { api } = await serverCaller("VIEWER");
  const { id } = await params;
  let data: IncidentReportView | null = null;
  try {
    data = await api.rollbacks.report({ rollbackId: id });
  } catch (error) {
    // serverCaller maps the errors every page shares; a rollback still running is this page's own state.
    if (!(error instanceof TRPCError && error.code === "CONFLICT")) throw error;
  }
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 flex gap-1 text-sm">
        <Link href="/rollbacks" className={linkClass}>
          Rollbacks
        </Link>
        <span aria-hidden="true">/</span>
        <Link href={`/rollbacks/${encodeURIComponent(id)}`} className={linkClass}>
          Rollback
        </Link>
      </nav>
      {data ? (
        <>
          <PageHeader title={`Incident report: ${data.report.target.name}`} description={data.report.kind} />
          <IncidentReport data={data} />
        </>
      ) : (
        <>
          <PageHeader title="Incident report" />
          <EmptyState title="This rollback has not ended">
            Its incident report is written once it ends: completed, failed, cancelled, rejected or expired.{" "}
            <Link href={`/rollbacks/${encodeURIComponent(id)}`} className={linkClass}>
              Follow the rollback
            </Link>
            .
          </EmptyState>
        </>
      )}
    </>
  );
}
