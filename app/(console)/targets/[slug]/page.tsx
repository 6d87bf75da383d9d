import type { Metadata } from "next";
import { TargetDetail } from "@/components/target/target-detail";
import { parseChartWindow } from "@/components/target/windows";
import { serverCaller } from "@/server/api/server-caller";

type Params = Promise<{ slug: string }>;

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
  const { user, api } = await serverCaller("VIEWER");
  const [{ slug }, query] = await Promise.all([params, searchParams]);
  // No such target and a malformed slug are both the 404 page (serverCaller).
  const target = await api.targets.bySlug({ slug });
  return (
    <TargetDetail
      slug={target.slug}
      name={target.name}
      role={user.role}
      initialWindow={parseChartWindow(query.window)}
    />
  );
}
