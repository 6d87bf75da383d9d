import type { Metadata } from "next";
import { SettingsSection } from "@/components/settings/settings-section";
import { SignInAttempts } from "@/components/settings/sign-in-attempts";
import { UsersAdmin } from "@/components/users-admin";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Users · Settings" };

export default async function UsersPage() {
  const user = await requirePageUser("ADMIN");
  return (
    <SettingsSection title="Users" description="Who can sign in, and what each role may do.">
      <UsersAdmin currentUserId={user.id} />
      <div className="mt-10">
        <SignInAttempts />
      </div>
    </SettingsSection>
  );
}
