import type { Metadata } from "next";
import { LoginForm } from "@/components/login-form";

export const metadata: Metadata = { title: "Sign in" };

/** Only same-site paths are honoured, so a crafted link cannot send someone elsewhere after sign-in. */
function safeCallback(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return "/";
  try {
    const url = new URL(raw, "http://rewind.invalid");
    if (url.origin !== "http://rewind.invalid" || url.pathname.startsWith("/login")) return "/";
    return `${url.pathname}${url.search}`;
  } catch {
    return "/";
  }
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <p className="text-3xl font-bold tracking-tight text-indigo-700">⟲ Rewind</p>
          <h1 className="mt-2 text-lg font-medium">Sign in to the console</h1>
        </div>
        <LoginForm callbackUrl={safeCallback(params.callbackUrl)} />
      </div>
    </main>
  );
}
