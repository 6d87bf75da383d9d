// Secrets that Rewind must read back (signing secrets of API keys and of webhook endpoints), encrypted at
// rest with AES-256-GCM under API_KEY_ENCRYPTION_KEY. The associated data binds a sealed secret to its row,
// so secrets cannot be swapped between rows.
import "server-only";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function sealSecret(secret: string, associatedData: string, encryptionKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv).setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** The secret, or an error naming `what` (e.g. "API key rwd_abc") when it cannot be read. */
export function openSecret(sealed: string, associatedData: string, encryptionKey: Buffer, what: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !ciphertext) throw new Error(`${what}: unreadable signing secret`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", encryptionKey, Buffer.from(iv, "base64url"))
      .setAAD(Buffer.from(associatedData))
      .setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`${what}: the signing secret cannot be decrypted (was API_KEY_ENCRYPTION_KEY changed?)`);
  }
}
