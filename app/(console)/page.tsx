import type { Metadata } from "next";
import { Overview } from "@/components/overview/overview";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Overview"
        description="Every target, worst first: its latest verdict, the configuration it runs, any rollback under way, and the last hour."
      />
      <Overview viewer={{ id: user.id, role: user.role }} />
    </>
  );
}
