"use client";
// The settings sub-navigation: a column beside the section on wide screens, a row of links above it on
// narrow ones. The current section is marked with aria-current.
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { settingsSections } from "./sections";

/** A section page beside the sub-navigation; the settings index lists the sections itself. */
export function SettingsFrame({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  if (pathname === "/settings") return children;
  return (
    <div className="grid gap-6 lg:grid-cols-[11rem_minmax(0,1fr)]">
      <SettingsNav pathname={pathname} />
      <div className="min-w-0">{children}</div>
    </div>
  );
}

function SettingsNav({ pathname }: { pathname: string }) {
  return (
    <nav aria-label="Settings">
      <p
        aria-hidden="true"
        className="mb-1 hidden px-3 text-xs font-medium tracking-wide text-slate-500 uppercase lg:block"
      >
        Settings
      </p>
      <ul className="flex flex-wrap gap-1 border-b border-slate-200 pb-2 lg:flex-col lg:border-b-0 lg:pb-0">
        {settingsSections.map((section) => (
          <li key={section.href}>
            <Link
              href={section.href}
              aria-current={pathname.startsWith(section.href) ? "page" : undefined}
              className="block rounded-md px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:font-medium aria-[current=page]:text-indigo-800"
            >
              {section.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
