// One settings section: its title is the page's h1 (the sub-navigation says it is under Settings).
import type { ReactNode } from "react";
import { PageHeader } from "../ui";

export function SettingsSection({
  title,
  description,
  children,
}: {
  title: string;
  description: string;
  children: ReactNode;
}) {
  return (
    <>
      <PageHeader title={title} description={description} />
      {children}
    </>
  );
}
