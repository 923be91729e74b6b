// Input schemas for account management, shared by the browser forms and the tRPC procedures.
import { z } from "zod";
import { ZRole } from "./roles";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "Email is too long (at most 254 characters)")
  .pipe(z.email("Enter a valid email address, like name@example.com"));

export const ZPassword = z
  .string()
  .min(8, "Password must be at least 8 characters")
  .max(128, "Password is too long (at most 128 characters)");

export const ZName = z
  .string()
  .trim()
  .min(1, "Name is required")
  .max(100, "Name is too long (at most 100 characters)");

export const ZCreateUser = z.object({
  name: ZName,
  email: ZEmail,
  password: ZPassword,
  role: ZRole,
});
export type TCreateUser = z.infer<typeof ZCreateUser>;

export const ZUserId = z.string().min(1).max(64);

export const ZSetRole = z.object({ userId: ZUserId, role: ZRole });
export const ZSetDisabled = z.object({
  userId: ZUserId,
  disabled: z.boolean(),
  reason: z.string().trim().max(500).optional(),
});
export const ZResetPassword = z.object({ userId: ZUserId, password: ZPassword });

export const ZSignIn = z.object({
  email: ZEmail,
  password: z
    .string()
    .min(1, "Enter your password")
    .max(128, "Password is too long (at most 128 characters)"),
});
