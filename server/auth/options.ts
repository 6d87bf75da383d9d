// next-auth v4: email + password (Credentials), JWT sessions carrying the user id, role and session version.
// The role in the token is only a hint for the UI; every request re-reads the user and refuses a token whose
// version is not the user's current one (session.ts, services/access/sessions.ts).
import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "../db";
import { AppError } from "../domain/errors";
import { authRedirectUrl } from "../domain/redirects";
import type { RoleName } from "../domain/roles";
import { signInClient } from "../domain/sign-in-throttle";
import { env } from "../env.js";
import { signOut } from "../services/access/sessions";
import { authenticate } from "../services/access/sign-in";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string; role: RoleName };
    /** Null for a token issued before sessions had versions: it is refused. */
    sessionVersion: number | null;
  }
  interface User {
    role: RoleName;
    sessionVersion: number;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    role?: RoleName;
    /** The user's sessionVersion at sign-in. */
    sv?: number;
  }
}

export const authOptions: NextAuthOptions = {
  secret: env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        try {
          const forwardedFor: unknown = req.headers?.["x-forwarded-for"];
          const client = signInClient(typeof forwardedFor === "string" ? forwardedFor : null, env.TRUSTED_PROXIES);
          const user = await authenticate(getDb(), credentials ?? {}, { client, now: new Date() });
          return {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            sessionVersion: user.sessionVersion,
          };
        } catch (error) {
          // next-auth hands the message of a thrown Error to the sign-in form.
          if (error instanceof AppError) throw new Error(error.message);
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    // After sign-in and sign-out, next-auth goes only to paths on this site (server/domain/redirects.ts).
    redirect({ url, baseUrl }) {
      return authRedirectUrl(url, baseUrl);
    },
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = user.role;
        token.sv = user.sessionVersion;
      }
      return token;
    },
    session({ session, token }) {
      session.user = {
        id: token.uid ?? "",
        email: token.email ?? "",
        name: token.name ?? "",
        role: token.role ?? "VIEWER",
      };
      session.sessionVersion = token.sv ?? null;
      return session;
    },
  },
  events: {
    // Ends the session for good, not just its cookie: the token would otherwise work until it expires.
    async signOut({ token }) {
      if (!token.uid || typeof token.sv !== "number") return;
      await signOut(getDb(), { userId: token.uid, sessionVersion: token.sv });
    },
  },
};
