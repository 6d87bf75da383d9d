import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { UsersAdmin } from "@/components/users-admin";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await requirePageUser("ADMIN");
  return (
    <>
      <PageHeader title="Users" description="Who can sign in, and what each role may do." />
      <UsersAdmin currentUserId={user.id} />
    </>
  );
}
