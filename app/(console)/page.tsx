import type { Metadata } from "next";
import { Overview } from "@/components/overview/overview";
import { overviewViewFromParams } from "@/components/overview/overview-params";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Overview"
        description="Every target by state, most urgent first: its latest verdict, the configuration it runs, any rollback under way, and the last hour. Search by slug or name, or show one group."
      />
      <Overview viewer={{ id: user.id, role: user.role }} initialView={overviewViewFromParams(await searchParams)} />
    </>
  );
}
