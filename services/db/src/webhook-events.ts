import type * as z from "zod";
import type { WebhookEventRecord } from "./records";
import type {
  NewWebhookEvent,
  StuckWebhookEventsQuery,
  WebhookEventState,
  WebhookProvider,
} from "./schemas";

interface WebhookEventRow {
  source: string;
  id: string;
  payload: string;
  provider: WebhookProvider | null;
  event_type: string | null;
  received_at: string;
  processed_at: string | null;
  state: WebhookEventState;
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** A db version from before the state column marks processed_at only: that settles it. */
function stateOf(row: Pick<WebhookEventRow, "state" | "processed_at">): WebhookEventState {
  return row.processed_at === null ? row.state : "processed";
}

/**
 * The (source, id) primary key makes a replayed delivery a no-op instead of a second row. The
 * stored event's state comes back too, so a retried delivery whose processing was never enqueued
 * can enqueue it.
 */
export async function recordWebhookEvent(
  db: D1Database,
  event: z.infer<typeof NewWebhookEvent>,
): Promise<{ inserted: boolean; state: WebhookEventState }> {
  const [insert, current] = await db.batch<Pick<WebhookEventRow, "state" | "processed_at">>([
    db
      .prepare(
        "INSERT INTO webhook_events (source, id, payload, provider, event_type) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING",
      )
      .bind(
        event.source,
        event.id,
        event.rawPayload ?? JSON.stringify(event.payload ?? null),
        event.provider ?? null,
        event.eventType ?? null,
      ),
    db
      .prepare("SELECT state, processed_at FROM webhook_events WHERE source = ? AND id = ?")
      .bind(event.source, event.id),
  ]);
  // The batch runs as one transaction, so the row the insert wrote or kept is there.
  const row = current?.results[0] as Pick<WebhookEventRow, "state" | "processed_at">;
  return { inserted: insert?.meta.changes === 1, state: stateOf(row) };
}

/**
 * Records that the event's processing job exists. Only a 'received' event moves: a consumer
 * that already processed it must not be undone by a late caller.
 */
export async function markWebhookEventEnqueued(
  db: D1Database,
  source: string,
  id: string,
): Promise<void> {
  await db
    .prepare(
      "UPDATE webhook_events SET state = 'enqueued' WHERE source = ? AND id = ? AND state = 'received' AND processed_at IS NULL",
    )
    .bind(source, id)
    .run();
}

/**
 * Marks the event processed. The update only matches an unprocessed row, so of several jobs for
 * one event (a retried delivery and the redelivery sweep can both enqueue one) exactly one
 * processes it; the others learn that it was already processed.
 */
export async function markWebhookEventProcessed(
  db: D1Database,
  source: string,
  id: string,
): Promise<{ processed: boolean; alreadyProcessed: boolean }> {
  const [update, current] = await db.batch([
    db
      .prepare(
        `UPDATE webhook_events SET state = 'processed', processed_at = ${NOW} WHERE source = ? AND id = ? AND processed_at IS NULL`,
      )
      .bind(source, id),
    db.prepare("SELECT 1 FROM webhook_events WHERE source = ? AND id = ?").bind(source, id),
  ]);
  const exists = current?.results.length === 1;
  return { processed: exists, alreadyProcessed: exists && update?.meta.changes === 0 };
}

/** Oldest first: events stored before `receivedBefore` whose processing was never enqueued. */
export async function listStuckWebhookEvents(
  db: D1Database,
  query: z.infer<typeof StuckWebhookEventsQuery>,
): Promise<{ source: string; id: string }[]> {
  const { results } = await db
    .prepare(
      "SELECT source, id FROM webhook_events WHERE state = 'received' AND processed_at IS NULL AND received_at < ? ORDER BY received_at, rowid LIMIT ?",
    )
    .bind(query.receivedBefore, query.limit)
    .all<{ source: string; id: string }>();
  return results;
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
    provider: row.provider,
    eventType: row.event_type,
    state: stateOf(row),
    receivedAt: row.received_at,
    processedAt: row.processed_at,
  };
}
