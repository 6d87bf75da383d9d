import type { Metadata } from "next";
import { SlackLink } from "@/components/profile/slack-link";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { roleDescriptions } from "@/server/domain/roles";

export const metadata: Metadata = { title: "Profile" };

export default async function ProfilePage() {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader title="Profile" description="Who you are in Rewind, and the accounts elsewhere that act as you." />
      <dl className="mb-8 grid max-w-xl grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">Name</dt>
        <dd>{user.name}</dd>
        <dt className="font-medium">Email</dt>
        <dd>{user.email}</dd>
        <dt className="font-medium">Role</dt>
        <dd>
          {user.role.toLowerCase()} <span className="text-slate-600">({roleDescriptions[user.role]})</span>
        </dd>
      </dl>
      <SlackLink />
    </>
  );
}
