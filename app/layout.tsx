import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Rewind", template: "%s · Rewind" },
  description: "Keeps AI traffic inside its SLOs and rolls back bad configurations.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, the 404 page included: scripts run only with the response's CSP nonce (proxy.ts),
  // and a page prerendered at build time has none.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
