import type { ReactNode } from "react";
import { ConsoleNav } from "@/components/console-nav";
import { requirePageUser } from "@/server/auth/session";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser();
  return (
    <>
      <ConsoleNav user={user} />
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </>
  );
}
