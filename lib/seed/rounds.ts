// The first round, collecting with the default configuration, so a fresh start has work to do.
// Admins create and configure later rounds from the dashboard.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { defaultRoundConfig } from "@/lib/shared/round-config";

export async function seedFirstRound(db: PrismaClient): Promise<boolean> {
  if ((await db.round.count()) > 0) return false;
  await db.round.create({
    data: { number: 1, name: "First round", status: "collecting", config: defaultRoundConfig() },
  });
  return true;
}
