import type { Miniflare } from "miniflare";
import type * as z from "zod";
import { JobRecord, OutboxRecord, WebhookEventRecord } from "./db-records.js";

interface DbRpc {
  getJob(id: string): Promise<unknown>;
  getWebhookEvent(source: string, id: string): Promise<unknown>;
  listOutbox(query: { to?: string; limit?: number }): Promise<unknown>;
}

export interface DbClient {
  getJob(id: string): Promise<JobRecord | null>;
  getWebhookEvent(source: string, id: string): Promise<WebhookEventRecord | null>;
  listOutbox(query: { to?: string; limit?: number }): Promise<OutboxRecord[]>;
}

// Miniflare hands RPC results back as lazy proxies; a JSON round trip makes them plain data.
function plain<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  return schema.parse(value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
}

/** Reads state through the db service's own RPC methods, the way the other services do. */
export async function dbClient(mf: Miniflare): Promise<DbClient> {
  const db = (await mf.getWorker("db")) as unknown as DbRpc;
  return {
    getJob: async (id) => plain(JobRecord.nullable(), await db.getJob(id)),
    getWebhookEvent: async (source, id) =>
      plain(WebhookEventRecord.nullable(), await db.getWebhookEvent(source, id)),
    listOutbox: async (query) => plain(OutboxRecord.array(), await db.listOutbox(query)),
  };
}
