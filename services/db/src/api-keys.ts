import type * as z from "zod";
import type { ApiKeyRecord } from "./records";
import type { NewApiKey } from "./schemas";

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: string;
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    createdAt: row.created_at,
  };
}

export async function insertApiKey(
  db: D1Database,
  key: z.infer<typeof NewApiKey>,
): Promise<ApiKeyRecord> {
  const row = await db
    .prepare("INSERT INTO api_keys (id, name, prefix, hash) VALUES (?, ?, ?, ?) RETURNING *")
    .bind(key.id, key.name, key.prefix, key.hash)
    .first<ApiKeyRow>();
  // RETURNING always yields the inserted row; a constraint violation throws instead.
  return toRecord(row as ApiKeyRow);
}

export async function findApiKeyByHash(db: D1Database, hash: string): Promise<ApiKeyRecord | null> {
  const row = await db
    .prepare("SELECT * FROM api_keys WHERE hash = ?")
    .bind(hash)
    .first<ApiKeyRow>();
  return row ? toRecord(row) : null;
}
