// A box that scrolls when its table is wider (or taller) than the screen: focusable, so keyboard users can
// scroll it, and named, so screen readers say what it holds. `relative`, so that absolutely placed content
// (screen-reader-only text in its links) stays inside the box instead of widening the page.
import type { ReactNode } from "react";

export function ScrollArea({
  label,
  className = "",
  children,
}: {
  label: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className={`relative overflow-auto focus-visible:outline-2 focus-visible:outline-indigo-600 ${className}`}
    >
      {children}
    </div>
  );
}
