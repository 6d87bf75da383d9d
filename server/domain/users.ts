// Shapes of user input, shared by the forms and the services that validate them again.
import { z } from "zod";
import { safeText } from "./input-bounds";
import { roleSchema } from "./roles";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address" }));

export const passwordSchema = z
  .string()
  .min(12, { message: "Use at least 12 characters" })
  .max(200, { message: "Use at most 200 characters" });

export const createUserSchema = z.object({
  email: emailSchema,
  name: safeText().trim().min(1, { message: "Enter a name" }).max(100, { message: "Use at most 100 characters" }),
  role: roleSchema,
  password: passwordSchema,
});
export type CreateUserInput = z.input<typeof createUserSchema>;

export const changeRoleSchema = z.object({ userId: z.string().min(1), role: roleSchema });
export const setDisabledSchema = z.object({ userId: z.string().min(1), disabled: z.boolean() });

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, { message: "Enter your password" }).max(200),
});
