import type { Metadata } from "next";
import Link from "next/link";
import { RollbackDetail } from "@/components/rollbacks/rollback-detail";
import { PageHeader } from "@/components/ui";
import { serverCaller } from "@/server/api/server-caller";

export const metadata: Metadata = { title: "Rollback" };

export default async function RollbackPage({ params }: { params: Promise<{ id: string }> }) {
  const { user, api } = await serverCaller("VIEWER");
  const { id } = await params;
  const rollback = await api.rollbacks.byId({ rollbackId: id });
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/rollbacks" className="text-indigo-700 underline hover:text-indigo-900">
          Rollbacks
        </Link>
      </nav>
      <PageHeader
        title={`Rollback of ${rollback.target.name}`}
        description={`Requested ${rollback.requestedAt.toISOString().replace("T", " ").slice(0, 16)} UTC · ${rollback.id}`}
      />
      <RollbackDetail rollbackId={rollback.id} viewer={{ id: user.id, role: user.role }} />
    </>
  );
}
