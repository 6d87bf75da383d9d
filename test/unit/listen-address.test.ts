import { describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env.js";
import { isLoopback, reachableHost, serverProcess } from "../../scripts/lib/listen-address";

describe("HOST, the address npm start listens on", () => {
  it("is this machine only unless set, and any interface or address when set", () => {
    expect(parseEnv({}).HOST).toBe("127.0.0.1");
    expect(serverProcess("3000", parseEnv({}).HOST).env).toMatchObject({ PORT: "3000", HOST: "127.0.0.1" });
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "fd00::1", "rewind.internal"]) {
      expect(parseEnv({ HOST: host }).HOST).toBe(host);
    }
  });

  it("refuses what is not an address, naming the variable", () => {
    for (const host of ["0.0.0.0:3000", "http://0.0.0.0", "two words"]) {
      expect(() => parseEnv({ HOST: host })).toThrow(/HOST: expected an address to listen on/);
    }
  });

  it("health-checks a wildcard bind through the loopback", () => {
    expect(reachableHost("0.0.0.0")).toBe("127.0.0.1");
    expect(reachableHost("::")).toBe("[::1]");
    expect(reachableHost("fd00::1")).toBe("[fd00::1]");
    expect(reachableHost("10.1.2.3")).toBe("10.1.2.3");
    expect(isLoopback("127.0.0.1") && isLoopback("::1") && !isLoopback("0.0.0.0")).toBe(true);
  });
});

describe("METRICS_PUBLIC", () => {
  it("is off unless set to true", () => {
    expect(parseEnv({}).METRICS_PUBLIC).toBe(false);
    expect(parseEnv({ METRICS_PUBLIC: "true" }).METRICS_PUBLIC).toBe(true);
    expect(() => parseEnv({ METRICS_PUBLIC: "public" })).toThrow(/METRICS_PUBLIC: expected "true" or "false"/);
  });
});
