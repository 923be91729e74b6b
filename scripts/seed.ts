// Seeds a database: initial accounts and the starting prompt pool. Idempotent; run by the start
// command after migrations. Prints the accounts block the start command shows.
import { mkdir } from "node:fs/promises";
import { prisma } from "@/lib/db";
import { bootstrapEnv, env } from "@/lib/env";
import { ensureInitialAccounts } from "@/lib/seed/accounts";
import { seedPrompts } from "@/lib/seed/prompts";
import { seedFirstRound } from "@/lib/seed/rounds";

async function main() {
  const e = env();
  const cfg = bootstrapEnv();
  await mkdir(e.PAIRWISE_DATA_DIR, { recursive: true });
  const db = prisma;
  const added = await seedPrompts(db);
  const accounts = await ensureInitialAccounts(db, e.PAIRWISE_DATA_DIR, cfg);
  if (await seedFirstRound(db)) console.log("seed: round 1 is collecting");
  console.log(`seed: ${added} prompts added`);
  for (const a of accounts) {
    console.log(
      `account: ${a.role.padEnd(9)} ${a.email}  password: ${a.password ?? "(from the environment)"}`,
    );
  }
  await db.$disconnect();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
