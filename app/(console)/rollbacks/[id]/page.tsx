import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RollbackDetail } from "@/components/rollbacks/rollback-detail";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { AppError } from "@/server/domain/errors";
import { getRollback } from "@/server/services/rollbacks/rollbacks";

export const metadata: Metadata = { title: "Rollback" };

export default async function RollbackPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePageUser("VIEWER");
  const { id } = await params;
  const rollback = await getRollback(getDb(), id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "NOT_FOUND") notFound();
    throw error;
  });
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
