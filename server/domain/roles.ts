// Roles are ordered; each includes everything the ones before it may do.
import { z } from "zod";

export const roles = ["VIEWER", "OPERATOR", "APPROVER", "ADMIN"] as const;
export const roleSchema = z.enum(roles, { message: "Choose one of: viewer, operator, approver, admin" });
export type RoleName = z.infer<typeof roleSchema>;

export function hasRole(actual: RoleName, required: RoleName): boolean {
  return roles.indexOf(actual) >= roles.indexOf(required);
}

export const roleDescriptions: Record<RoleName, string> = {
  VIEWER: "Reads dashboards, history and audit",
  OPERATOR: "Also triggers manual rollbacks, edits policies and flags",
  APPROVER: "Also approves, rejects and cancels rollbacks; emergency stop",
  ADMIN: "Also manages users, API keys and settings",
};
