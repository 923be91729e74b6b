import "server-only";
// The annotators page: every account with its labelling statistics (from the review domain's
// annotatorStats, the one place they are computed), its status, and password resets that
// generate the new password.
import { randomBytes } from "node:crypto";
import { prisma } from "@/lib/db";
import { annotatorStats, type TAnnotatorStats } from "@/lib/server/review/annotator-stats";
import { resetUserPassword } from "@/lib/server/users/manage-users";
import { positionBiasZ } from "@/lib/shared/annotator-flags";

export type TAnnotatorRow = Omit<TAnnotatorStats, "annotatorId" | "email"> & {
  id: string;
  name: string;
  email: string;
  role: string;
  disabled: boolean;
  /** Share of labels whose latest review rejected them. */
  rejectedShare: number | null;
  /**
   * How far the left share is from 0.5 in standard errors of a fair coin (|z| > 1.96: the
   * annotator picks one side more than chance would explain at 95 %).
   */
  positionBiasZ: number | null;
};

export async function listAnnotators(filter: {
  roundId?: string | undefined;
}): Promise<TAnnotatorRow[]> {
  const [users, stats] = await Promise.all([
    prisma.user.findMany({
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true, email: true, role: true, banned: true },
    }),
    annotatorStats(filter),
  ]);
  const byId = new Map(stats.map((s) => [s.annotatorId, s]));
  return users
    .filter((u) => u.role === "annotator" || byId.has(u.id))
    .map((u) => {
      const s = byId.get(u.id);
      const count = s?.count ?? 0;
      const left = s?.leftShare ?? null;
      return {
        id: u.id,
        name: u.name,
        email: u.email,
        role: u.role,
        disabled: u.banned === true,
        count,
        rejected: s?.rejected ?? 0,
        rejectedShare: count ? (s?.rejected ?? 0) / count : null,
        medianTimeMs: s?.medianTimeMs ?? null,
        goldItems: s?.goldItems ?? 0,
        goldAccuracy: s?.goldAccuracy ?? null,
        overlapPairs: s?.overlapPairs ?? 0,
        agreement: s?.agreement ?? null,
        leftShare: left,
        positionBiasZ: positionBiasZ(left, count),
      };
    })
    .sort((a, b) => b.count - a.count || a.email.localeCompare(b.email));
}

/** A new random password (18 URL-safe characters, 108 bits). */
export function generatePassword(): string {
  return randomBytes(14).toString("base64url").slice(0, 18);
}

/** Resets a password to a generated one and signs the user out; the password is returned once. */
export async function resetPasswordGenerated(
  userId: string,
): Promise<{ id: string; password: string }> {
  const password = generatePassword();
  await resetUserPassword(userId, password);
  return { id: userId, password };
}
