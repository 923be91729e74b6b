// Offline migrations (lib/db/migrate.ts) from the command line:
//   tsx scripts/migrate.ts deploy          apply pending migrations
//   tsx scripts/migrate.ts create <name>   write prisma/migrations/<ts>_<name> for schema changes, apply it
//   tsx scripts/migrate.ts status          compare the database's history with the folder
//   tsx scripts/migrate.ts drift           compare the schema with what the migrations build
// Reads DATABASE_URL. Exits explicitly: the Wasm engine leaves a timer that keeps Node alive ~60 s.
import { optionalVar } from "@/lib/env";
import { applyMigrations, checkDrift, createMigration, migrationStatus } from "@/lib/db/migrate";

const USAGE = "usage: tsx scripts/migrate.ts deploy | create <name> | status | drift";

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  const url = optionalVar("DATABASE_URL");
  if (!url) {
    console.error(
      "DATABASE_URL is not set: point it at PostgreSQL or the embedded server (npm run dev starts one).",
    );
    return 2;
  }
  const started = performance.now();
  const took = () => `${Math.round(performance.now() - started)} ms`;
  switch (command) {
    case "deploy": {
      const applied = await applyMigrations(url);
      console.log(
        applied.length === 0
          ? `no pending migrations (${took()})`
          : `applied ${applied.length} migration(s) in ${took()}: ${applied.join(", ")}`,
      );
      return 0;
    }
    case "create": {
      if (!name || !/^[a-z0-9_]+$/.test(name)) {
        console.error(`create needs a name of lowercase letters, digits and underscores\n${USAGE}`);
        return 2;
      }
      const created = await createMigration(url, name);
      console.log(
        created
          ? `created prisma/migrations/${created} (${took()})`
          : `schema unchanged, no migration created (${took()})`,
      );
      return 0;
    }
    case "status": {
      const s = await migrationStatus(url);
      console.log(`${s.localMigrations.length} migration(s) in prisma/migrations`);
      if (!s.hasMigrationsTable) console.log("the database has no migrations table: run deploy");
      if (s.history?.diagnostic === "databaseIsBehind") {
        console.log(`not yet applied: ${s.history.unappliedMigrationNames.join(", ")}`);
      } else if (s.history?.diagnostic === "migrationsDirectoryIsBehind") {
        console.log(
          `applied but missing locally: ${s.history.unpersistedMigrationNames.join(", ")}`,
        );
      } else if (s.history?.diagnostic === "historiesDiverge") {
        console.log(`histories diverge after ${s.history.lastCommonMigrationName ?? "(none)"}`);
      }
      if (s.failedMigrationNames.length)
        console.log(`failed: ${s.failedMigrationNames.join(", ")}`);
      if (s.editedMigrationNames.length)
        console.log(`edited after apply: ${s.editedMigrationNames.join(", ")}`);
      console.log(
        s.upToDate ? "database schema is up to date" : "database schema is NOT up to date",
      );
      return s.upToDate ? 0 : 1;
    }
    case "drift": {
      const differences = await checkDrift(url);
      if (differences.length === 0) {
        console.log("no drift: the migrations build exactly prisma/schema.prisma");
        return 0;
      }
      console.log("the schema differs from what the migrations build (run: create <name>):");
      for (const line of differences) console.log(line);
      return 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
