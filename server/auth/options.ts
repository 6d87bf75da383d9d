// next-auth v4: email + password (Credentials), JWT sessions carrying the user id and role.
// The role in the token is only a hint for the UI; every request re-reads the user (session.ts).
import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "../db";
import { AppError } from "../domain/errors";
import type { RoleName } from "../domain/roles";
import { env } from "../env.js";
import { authenticate } from "../services/access/users";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string; role: RoleName };
  }
  interface User {
    role: RoleName;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    role?: RoleName;
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
      async authorize(credentials) {
        try {
          const user = await authenticate(getDb(), credentials ?? {}, new Date());
          return { id: user.id, email: user.email, name: user.name, role: user.role };
        } catch (error) {
          // next-auth hands the message of a thrown Error to the sign-in form.
          if (error instanceof AppError) throw new Error(error.message);
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = user.role;
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
      return session;
    },
  },
};
