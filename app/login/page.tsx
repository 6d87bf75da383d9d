import type { Metadata } from "next";
import { LoginForm } from "@/components/login-form";
import { signInCallbackPath } from "@/server/domain/redirects";

export const metadata: Metadata = { title: "Sign in" };

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
        {/* Only same-site paths: a crafted link cannot send someone elsewhere after sign-in. */}
        <LoginForm callbackUrl={signInCallbackPath(params.callbackUrl)} />
      </div>
    </main>
  );
}
