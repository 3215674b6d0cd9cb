import type { Miniflare } from "miniflare";

export type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

/**
 * Every row of every user table, in storage order: equal snapshots before and after a request
 * mean the request wrote nothing (no insert, update or delete).
 */
export async function snapshotDatabase(db: D1): Promise<Record<string, unknown[]>> {
  const { results: tables } = await db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
    )
    .all<{ name: string }>();
  const snapshot: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    snapshot[name] = (await db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results;
  }
  return snapshot;
}
