import type { JobStatus, WebhookEventState, WebhookProvider } from "./schemas";

/**
 * Any JSON value. Written as `{} | null` rather than a recursive JSON type, which sends the RPC
 * stub types (`Service<DbService>`) into infinite instantiation; `unknown` would become `never`.
 */
export type Json = NonNullable<unknown> | null;

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  createdAt: string;
}

export interface JobRecord {
  id: string;
  type: string;
  payload: Json;
  status: JobStatus;
  attempts: number;
  result: Json;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookEventRecord {
  source: string;
  id: string;
  payload: Json;
  /** Null for events stored by versions from before providers (migration 0004). */
  provider: WebhookProvider | null;
  eventType: string | null;
  state: WebhookEventState;
  receivedAt: string;
  processedAt: string | null;
}

export interface OutboxRecord {
  id: string;
  to: string;
  template: string;
  subject: string;
  body: string;
  status: "pending" | "sent";
  providerMessageId: string | null;
  createdAt: string;
  sentAt: string | null;
}
