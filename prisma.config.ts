// Prisma CLI configuration (Prisma 7 reads the connection URL from here, not from the schema).
// Offline migrations do not use this file: scripts/migrate.ts drives the WebAssembly schema engine.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/pairwise" },
});
