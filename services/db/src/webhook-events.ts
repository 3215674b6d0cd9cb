import type { z } from "zod";
import type { WebhookEventRecord } from "./records";
import type { NewWebhookEvent } from "./schemas";

interface WebhookEventRow {
  source: string;
  id: string;
  payload: string;
  received_at: string;
  processed_at: string | null;
}

/** The (source, id) primary key makes a replayed delivery a no-op instead of a second row. */
export async function recordWebhookEvent(
  db: D1Database,
  event: z.infer<typeof NewWebhookEvent>,
): Promise<{ inserted: boolean }> {
  const result = await db
    .prepare(
      "INSERT INTO webhook_events (source, id, payload) VALUES (?, ?, ?) ON CONFLICT (source, id) DO NOTHING",
    )
    .bind(event.source, event.id, JSON.stringify(event.payload ?? null))
    .run();
  return { inserted: result.meta.changes === 1 };
}

/** Keeps the first processing time, so redelivered queue messages stay idempotent. */
export async function markWebhookEventProcessed(
  db: D1Database,
  source: string,
  id: string,
): Promise<{ processed: boolean }> {
  const result = await db
    .prepare(
      "UPDATE webhook_events SET processed_at = COALESCE(processed_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) WHERE source = ? AND id = ?",
    )
    .bind(source, id)
    .run();
  return { processed: result.meta.changes === 1 };
}

export async function getWebhookEvent(
  db: D1Database,
  source: string,
  id: string,
): Promise<WebhookEventRecord | null> {
  const row = await db
    .prepare("SELECT * FROM webhook_events WHERE source = ? AND id = ?")
    .bind(source, id)
    .first<WebhookEventRow>();
  if (!row) return null;
  return {
    source: row.source,
    id: row.id,
    payload: JSON.parse(row.payload),
    receivedAt: row.received_at,
    processedAt: row.processed_at,
  };
}
