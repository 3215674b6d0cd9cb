import { join } from "node:path";
import { type D1Migration, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Miniflare } from "miniflare";
import type { ServiceConfig } from "./services.js";

export interface DatabaseMigrations {
  binding: string;
  migrations: D1Migration[];
}

// wrangler's own SQL splitting (through the vitest plugin), so multi-statement migration files
// apply here exactly as `wrangler d1 migrations apply` would.
export async function readServiceMigrations(service: ServiceConfig): Promise<DatabaseMigrations[]> {
  return Promise.all(
    service.config.d1_databases.map(async (database) => ({
      binding: database.binding,
      migrations: await readD1Migrations(join(service.dir, database.migrations_dir)),
    })),
  );
}

export async function applyMigrations(
  mf: Miniflare,
  workerName: string,
  databases: DatabaseMigrations[],
): Promise<void> {
  for (const { binding, migrations } of databases) {
    const db = await mf.getD1Database(binding, workerName);
    for (const migration of migrations) {
      await db.batch(migration.queries.map((query) => db.prepare(query)));
    }
  }
}
