import { describe, expect, it } from "vitest";
import { ofrepCorsOrigins, parseEnv } from "@/server/env.js";

describe("OFREP_CORS_ORIGINS", () => {
  it("is a comma-separated list of origins, or *; unset, no browser origin may call OFREP", () => {
    expect(ofrepCorsOrigins(parseEnv({}))).toEqual([]);
    expect(
      ofrepCorsOrigins(parseEnv({ OFREP_CORS_ORIGINS: "https://app.example.com, http://localhost:5173" })),
    ).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(ofrepCorsOrigins(parseEnv({ OFREP_CORS_ORIGINS: "*" }))).toEqual(["*"]);
  });

  it("refuses what a browser never sends as Origin: paths, trailing slashes, other schemes, bare hosts", () => {
    for (const value of [
      "https://app.example.com/",
      "https://app.example.com/app",
      "ftp://x.example",
      "app.example.com",
    ]) {
      expect(() => parseEnv({ OFREP_CORS_ORIGINS: value })).toThrow(
        /OFREP_CORS_ORIGINS: expected \* or comma-separated origins/,
      );
    }
  });
});
