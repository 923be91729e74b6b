"use client";
import { createAuthClient } from "better-auth/react";

/** Same-origin Better Auth client (sign in, sign out). */
export const authClient = createAuthClient();
