import "server-only";
// Role changes, disabling and password resets. Each keeps at least one active admin.
import { auth } from "@/lib/server/auth/auth";
import { invalidateUserSessions } from "@/lib/server/auth/session-cache";
import { DomainError } from "@/lib/server/errors";
import { prisma } from "@/lib/db";
import type { TRole } from "@/lib/shared/roles";

export async function listUsers() {
  return prisma.user.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, email: true, role: true, banned: true, createdAt: true },
  });
}

async function requireUser(userId: string) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new DomainError("NOT_FOUND", "No such user");
  return user;
}

async function assertAnotherActiveAdmin(userId: string) {
  const others = await prisma.user.count({
    where: { role: "admin", id: { not: userId }, OR: [{ banned: false }, { banned: null }] },
  });
  if (others === 0) throw new DomainError("CONFLICT", "Pairwise needs at least one active admin");
}

export async function setUserRole(actorId: string, userId: string, role: TRole) {
  const user = await requireUser(userId);
  if (user.role === "admin" && role !== "admin") await assertAnotherActiveAdmin(userId);
  if (actorId === userId && role !== "admin") {
    throw new DomainError("FORBIDDEN", "You cannot remove your own admin role");
  }
  const updated = await prisma.user.update({
    where: { id: userId },
    data: { role },
    select: { id: true, role: true },
  });
  // Sessions cached with the old role (lib/server/auth/session-cache.ts) end now.
  invalidateUserSessions(userId);
  return updated;
}

/** Disabling also ends the user's sessions, so it takes effect at once. */
export async function setUserDisabled(
  actorId: string,
  userId: string,
  disabled: boolean,
  reason?: string,
) {
  const user = await requireUser(userId);
  if (disabled && actorId === userId)
    throw new DomainError("FORBIDDEN", "You cannot disable your own account");
  if (disabled && user.role === "admin") await assertAnotherActiveAdmin(userId);
  const updated = await prisma.user.update({
    where: { id: userId },
    data: { banned: disabled, banReason: disabled ? (reason ?? null) : null },
    select: { id: true, banned: true },
  });
  if (disabled) await prisma.session.deleteMany({ where: { userId } });
  invalidateUserSessions(userId);
  return updated;
}

/** Sets a new password and signs the user out everywhere. */
export async function resetUserPassword(userId: string, password: string) {
  await requireUser(userId);
  const ctx = await auth().$context;
  const hash = await ctx.password.hash(password);
  const account = await prisma.account.findFirst({ where: { userId, providerId: "credential" } });
  if (account) {
    await prisma.account.update({ where: { id: account.id }, data: { password: hash } });
  } else {
    await ctx.internalAdapter.linkAccount({
      userId,
      providerId: "credential",
      accountId: userId,
      password: hash,
    });
  }
  await prisma.session.deleteMany({ where: { userId } });
  invalidateUserSessions(userId);
  return { id: userId };
}
