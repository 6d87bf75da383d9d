import type { Metadata } from "next";
import Link from "next/link";
import { settingsSections } from "@/components/settings/sections";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  await requirePageUser("ADMIN");
  return (
    <>
      <PageHeader title="Settings" description="Users, machine access, notifications and the monitoring scheduler." />
      <ul className="grid gap-3 sm:grid-cols-2" aria-label="Settings sections">
        {settingsSections.map((section) => (
          <li key={section.href}>
            <Link
              href={section.href}
              className="block h-full rounded-lg border border-slate-200 bg-white p-4 hover:border-indigo-400 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              <span className="font-medium">{section.label}</span>
              <span className="mt-1 block text-sm text-slate-600">{section.description}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
