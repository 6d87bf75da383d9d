import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TargetDetail } from "@/components/target/target-detail";
import { parseChartWindow } from "@/components/target/windows";
import { requirePageUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { AppError } from "@/server/domain/errors";
import { getTargetBySlug } from "@/server/services/config/targets";

type Params = Promise<{ slug: string }>;

/** A malformed slug cannot name a target either: both are a 404. */
function findTarget(slug: string) {
  return getTargetBySlug(getDb(), slug).catch((error: unknown) => {
    if (error instanceof AppError && (error.code === "NOT_FOUND" || error.code === "VALIDATION")) notFound();
    throw error;
  });
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { slug } = await params;
  return { title: slug };
}

export default async function TargetPage({
  params,
  searchParams,
}: {
  params: Params;
  searchParams: Promise<{ window?: string | string[] }>;
}) {
  const user = await requirePageUser("VIEWER");
  const [{ slug }, query] = await Promise.all([params, searchParams]);
  const target = await findTarget(slug);
  return (
    <TargetDetail
      slug={target.slug}
      name={target.name}
      role={user.role}
      initialWindow={parseChartWindow(query.window)}
    />
  );
}
