import type * as z from "zod";
import type { OutboxRecord } from "./records";
import type { NewOutboxEmail, OutboxQuery } from "./schemas";

interface OutboxRow {
  id: string;
  recipient: string;
  template: string;
  subject: string;
  body: string;
  status: "pending" | "sent";
  provider_message_id: string | null;
  created_at: string;
  sent_at: string | null;
}

function toRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    to: row.recipient,
    template: row.template,
    subject: row.subject,
    body: row.body,
    status: row.status,
    providerMessageId: row.provider_message_id,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

export async function insertOutboxEmail(
  db: D1Database,
  email: z.infer<typeof NewOutboxEmail>,
): Promise<OutboxRecord> {
  const row = await db
    .prepare(
      "INSERT INTO email_outbox (id, recipient, template, subject, body) VALUES (?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(email.id, email.to, email.template, email.subject, email.body)
    .first<OutboxRow>();
  return toRecord(row as OutboxRow);
}

export async function getOutboxEmail(db: D1Database, id: string): Promise<OutboxRecord | null> {
  const row = await db
    .prepare("SELECT * FROM email_outbox WHERE id = ?")
    .bind(id)
    .first<OutboxRow>();
  return row ? toRecord(row) : null;
}

export async function markEmailSent(
  db: D1Database,
  id: string,
  providerMessageId: string,
): Promise<OutboxRecord | null> {
  const row = await db
    .prepare(
      "UPDATE email_outbox SET status = 'sent', provider_message_id = ?, sent_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING *",
    )
    .bind(providerMessageId, id)
    .first<OutboxRow>();
  return row ? toRecord(row) : null;
}

export async function listOutbox(
  db: D1Database,
  query: z.infer<typeof OutboxQuery>,
): Promise<OutboxRecord[]> {
  // rowid breaks ties between rows written within the same millisecond.
  const statement = query.to
    ? db
        .prepare(
          "SELECT * FROM email_outbox WHERE recipient = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(query.to, query.limit)
    : db
        .prepare("SELECT * FROM email_outbox ORDER BY created_at DESC, rowid DESC LIMIT ?")
        .bind(query.limit);
  const { results } = await statement.all<OutboxRow>();
  return results.map(toRecord);
}
