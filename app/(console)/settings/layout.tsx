import type { ReactNode } from "react";
import { SettingsFrame } from "@/components/settings/settings-nav";
import { requirePageUser } from "@/server/auth/session";

// Admins only. Each page checks the role again: a layout is not re-rendered on navigation between its pages.
export default async function SettingsLayout({ children }: { children: ReactNode }) {
  await requirePageUser("ADMIN");
  return <SettingsFrame>{children}</SettingsFrame>;
}
