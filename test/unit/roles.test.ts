import { describe, expect, it } from "vitest";
import { hasRole, roles } from "@/server/domain/roles";

describe("role ordering", () => {
  it("orders viewer < operator < approver < admin", () => {
    expect(roles).toEqual(["VIEWER", "OPERATOR", "APPROVER", "ADMIN"]);
  });

  it("grants a role everything at or below it and nothing above", () => {
    for (const [i, actual] of roles.entries()) {
      for (const [j, required] of roles.entries()) {
        expect(hasRole(actual, required), `${actual} needs ${required}`).toBe(i >= j);
      }
    }
  });
});
