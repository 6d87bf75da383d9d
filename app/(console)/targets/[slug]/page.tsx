import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { TargetDetail } from "@/components/target/target-detail";
import { chartQuery, parseChartRange, parseChartWindow } from "@/components/target/windows";
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
  searchParams: Promise<{ window?: string | string[]; from?: string | string[]; to?: string | string[] }>;
}) {
  const { user, api } = await serverCaller("VIEWER");
  const [{ slug }, query] = await Promise.all([params, searchParams]);
  // No such target and a malformed slug are both the 404 page (serverCaller).
  const target = await api.targets.bySlug({ slug });
  const incident = await api.rollbacks.incident({ targetId: target.id });
  const range = parseChartRange(query.from, query.to);
  // Opened without a choice while a rollback is running or recent: zoom on its incident, in the URL, so the link
  // a person shares or reloads shows the same span.
  if (!range && query.window === undefined && incident) {
    redirect(`/targets/${target.slug}?${new URLSearchParams(chartQuery({ from: incident.from, to: incident.to }))}`);
  }
  return (
    <TargetDetail
      slug={target.slug}
      name={target.name}
      viewer={{ id: user.id, role: user.role }}
      initialWindow={parseChartWindow(query.window)}
      initialRange={range}
      incident={incident}
    />
  );
}
