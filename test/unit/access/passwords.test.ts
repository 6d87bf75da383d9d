import { describe, expect, it } from "vitest";
import { generatePassword, hashPassword, verifyPassword } from "@/server/services/access/passwords";

describe("password hashing", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword("same password!"), hashPassword("same password!")]);
    expect(a).not.toBe(b);
  });

  it("refuses tampered and malformed hashes without throwing", async () => {
    const hash = await hashPassword("correct horse battery staple");
    const parts = hash.split("$");
    const flipped = Buffer.from(parts[5] ?? "", "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const tampered = [...parts.slice(0, 5), flipped.toString("base64")].join("$");
    const otherSalt = [...parts.slice(0, 4), Buffer.alloc(16, 7).toString("base64"), parts[5]].join("$");
    const weakened = ["scrypt", 2, 1, 1, parts[4], parts[5]].join("$");
    const huge = ["scrypt", 2 ** 30, 8, 1, parts[4], parts[5]].join("$");
    for (const bad of [tampered, otherSalt, weakened, huge, "", "plain", "scrypt$1$2$3", "bcrypt$a$b$c$d$e"]) {
      expect(await verifyPassword("correct horse battery staple", bad)).toBe(false);
    }
  });

  it("generates strong random passwords", () => {
    const passwords = new Set(Array.from({ length: 50 }, generatePassword));
    expect(passwords.size).toBe(50);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});
