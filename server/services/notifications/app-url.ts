// The dashboard's base URL for links in notifications: APP_URL, else this server on localhost.
import "server-only";
import { env } from "../../env.js";

export function appUrl(): string {
  return (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, "");
}
