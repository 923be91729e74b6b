import "server-only";
import { auth } from "@/lib/server/auth/auth";
import { DomainError } from "@/lib/server/errors";
import { prisma } from "@/lib/db";
import { ZCreateUser, type TCreateUser } from "@/lib/shared/users";

/** Creates an email + password account with a role. Emails are unique, case-insensitively. */
export async function createUser(input: TCreateUser) {
  const data = ZCreateUser.parse(input);
  const existing = await prisma.user.findUnique({ where: { email: data.email } });
  if (existing) throw new DomainError("CONFLICT", `A user with email ${data.email} already exists`);

  const ctx = await auth().$context;
  const hash = await ctx.password.hash(data.password);
  const user = await ctx.internalAdapter.createUser(
    {
      email: data.email,
      name: data.name,
      role: data.role,
      emailVerified: true,
    },
    { method: "admin" },
  );
  await ctx.internalAdapter.linkAccount({
    userId: user.id,
    providerId: "credential",
    accountId: user.id,
    password: hash,
  });
  return { id: user.id, email: data.email, name: data.name, role: data.role };
}
