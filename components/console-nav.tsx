"use client";
// The console's header on every page: the pages a role may open, the number of rollbacks waiting for approval
// (in the nav and in the tab's title, so a background tab shows it too), who is signed in (a link to their profile).
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useEffect } from "react";
import { hasRole, type RoleName } from "@/server/domain/roles";
import { useTRPC } from "./trpc";

/** As often as the pages poll their own data. */
export const PENDING_COUNT_REFRESH_MS = 5_000;

const links: readonly { href: string; label: string; role?: RoleName }[] = [
  { href: "/", label: "Overview" },
  { href: "/approvals", label: "Approvals" },
  { href: "/rollbacks", label: "Rollbacks" },
  { href: "/policies", label: "Policies" },
  { href: "/snapshots", label: "Snapshots" },
  { href: "/flags", label: "Flags" },
  { href: "/audit", label: "Audit" },
  { href: "/api-reference", label: "API" },
  // Every settings page needs an admin: nobody else is shown a link that ends at "You can't open this page".
  { href: "/settings", label: "Settings", role: "ADMIN" },
];

const COUNT_PREFIX = /^\(\d+\) /;

/**
 * Keeps "(2) " in front of the document's title while rollbacks wait. Next sets the title on every navigation
 * (and may stream it in after the page), so the prefix is put back whenever the <title> changes.
 */
function usePendingTitle(count: number | undefined) {
  useEffect(() => {
    const apply = () => {
      const base = document.title.replace(COUNT_PREFIX, "");
      const wanted = count ? `(${count}) ${base}` : base;
      if (document.title !== wanted) document.title = wanted;
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.head, { childList: true, subtree: true, characterData: true });
    return () => {
      observer.disconnect();
      document.title = document.title.replace(COUNT_PREFIX, "");
    };
  }, [count]);
}

export function ConsoleNav({ user }: { user: { name: string; email: string; role: RoleName } }) {
  const pathname = usePathname();
  const trpc = useTRPC();
  const pending = useQuery(
    trpc.rollbacks.pendingCount.queryOptions(undefined, { refetchInterval: PENDING_COUNT_REFRESH_MS }),
  );
  const count = pending.data;
  usePendingTitle(count);
  const isActive = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <Link href="/" className="text-lg font-bold text-indigo-700">
          ⟲ Rewind
        </Link>
        <nav aria-label="Main" className="flex flex-1 flex-wrap gap-1">
          {links
            .filter((link) => !link.role || hasRole(user.role, link.role))
            .map((link) => {
              const waiting = link.href === "/approvals" && count ? count : 0;
              return (
                <Link
                  key={link.href}
                  href={link.href}
                  // The badge is for the eye; the name says it in words: "Approvals, 2 waiting".
                  aria-label={waiting ? `${link.label}, ${waiting} waiting` : undefined}
                  aria-current={isActive(link.href) ? "page" : undefined}
                  className="inline-flex items-center rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-indigo-50 aria-[current=page]:font-medium aria-[current=page]:text-indigo-800"
                >
                  {link.label}
                  {waiting ? <PendingBadge count={waiting} /> : null}
                </Link>
              );
            })}
        </nav>
        <div className="flex items-center gap-3 text-sm">
          <Link
            href="/profile"
            aria-current={isActive("/profile") ? "page" : undefined}
            className="rounded-md px-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
          >
            {user.name}{" "}
            <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs uppercase">{user.role.toLowerCase()}</span>
          </Link>
          <button
            type="button"
            onClick={() => void signOut({ callbackUrl: "/login" })}
            className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100"
          >
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}

function PendingBadge({ count }: { count: number }) {
  return (
    <span
      aria-hidden="true"
      className="ml-1.5 min-w-5 rounded-full bg-red-700 px-1.5 text-center text-xs leading-5 font-semibold text-white tabular-nums"
    >
      {count}
    </span>
  );
}
