import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/server/auth/auth";
import { hasRole, homePath, type TRole } from "@/lib/shared/roles";

/** For server components: the signed-in user with at least `role`, else a redirect. */
export async function requirePageUser(role: TRole) {
  const user = await getSessionUser(await headers());
  if (!user) redirect("/sign-in");
  if (!hasRole(user.role, role)) redirect(homePath(user.role));
  return user;
}
