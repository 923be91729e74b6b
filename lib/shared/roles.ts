// Roles are nested: admin ⊇ reviewer ⊇ annotator. A procedure names the least role it needs.
import { z } from "zod";

export const ROLES = ["annotator", "reviewer", "admin"] as const;
export const ZRole = z.enum(ROLES);
export type TRole = z.infer<typeof ZRole>;

const RANK: Record<TRole, number> = { annotator: 0, reviewer: 1, admin: 2 };

/** True when `role` may do what `needed` may. Unknown roles (a hand-edited row) get nothing. */
export function hasRole(role: string | null | undefined, needed: TRole): boolean {
  const parsed = ZRole.safeParse(role);
  return parsed.success && RANK[parsed.data] >= RANK[needed];
}

/** Where a signed-in user lands. */
export function homePath(role: string | null | undefined): string {
  return hasRole(role, "reviewer") ? "/admin" : "/annotate";
}
