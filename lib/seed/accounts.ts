// First-start accounts: an admin and an annotator. Passwords come from the environment or are
// generated once and kept in data/initial-credentials.json (mode 600) so the start command can
// print them; nothing is created twice.
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createUser } from "@/lib/server/users/create-user";
import type { TBootstrapEnv } from "@/lib/env";
import type { TRole } from "@/lib/shared/roles";

export type TInitialAccount = { role: TRole; email: string; password: string | null };

function generatePassword(): string {
  return randomBytes(12).toString("base64url");
}

async function readSaved(file: string): Promise<TInitialAccount[]> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as TInitialAccount[];
  } catch {
    return [];
  }
}

/**
 * Creates the admin if no admin exists and the annotator if that email is free.
 * Returns the accounts to print: generated passwords are shown (from the saved file) until the
 * file is deleted; passwords given in the environment are never written or printed.
 */
export async function ensureInitialAccounts(
  db: PrismaClient,
  dataDir: string,
  cfg: TBootstrapEnv,
): Promise<TInitialAccount[]> {
  const file = path.join(dataDir, "initial-credentials.json");
  const saved = await readSaved(file);
  const wanted: { role: TRole; email: string; password?: string; name: string; needed: boolean }[] =
    [
      {
        role: "admin",
        email: cfg.ADMIN_EMAIL,
        password: cfg.ADMIN_PASSWORD,
        name: "Admin",
        needed: (await db.user.count({ where: { role: "admin" } })) === 0,
      },
      {
        role: "annotator",
        email: cfg.ANNOTATOR_EMAIL,
        password: cfg.ANNOTATOR_PASSWORD,
        name: "Annotator",
        needed:
          (await db.user.count({ where: { email: cfg.ANNOTATOR_EMAIL } })) === 0 &&
          !saved.some((s) => s.role === "annotator"),
      },
    ];
  let changed = false;
  for (const w of wanted) {
    if (!w.needed) continue;
    const password = w.password ?? generatePassword();
    await createUser({ name: w.name, email: w.email, password, role: w.role });
    const entry = { role: w.role, email: w.email, password: w.password ? null : password };
    const i = saved.findIndex((s) => s.role === w.role);
    if (i >= 0) saved[i] = entry;
    else saved.push(entry);
    changed = true;
  }
  if (changed) {
    await writeFile(file, JSON.stringify(saved, null, 2) + "\n", { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return saved;
}
