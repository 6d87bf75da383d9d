import type { Metadata } from "next";
import Link from "next/link";
import { PageHeader } from "@/components/ui";
import { hasRole } from "@/server/domain/roles";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const user = await requirePageUser();
  return (
    <>
      <PageHeader title="Settings" />
      {hasRole(user.role, "ADMIN") ? (
        <ul className="grid gap-3 sm:grid-cols-2">
          <li>
            <Link
              href="/settings/users"
              className="block rounded-lg border border-slate-200 bg-white p-4 hover:border-indigo-400"
            >
              <span className="font-medium">Users</span>
              <span className="mt-1 block text-sm text-slate-600">Who can sign in, and with which role.</span>
            </Link>
          </li>
        </ul>
      ) : (
        <p className="text-sm text-slate-600">
          Settings are managed by admins. Your role is {user.role.toLowerCase()}.
        </p>
      )}
    </>
  );
}
