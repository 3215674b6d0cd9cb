import { WorkerEntrypoint } from "cloudflare:workers";
import { jsonError } from "@workers/http";
import * as apiKeys from "./api-keys";
import { parseInput, ServiceError } from "./errors";
import { health } from "./health";
import * as jobs from "./jobs";
import * as outbox from "./outbox";
import type { ApiKeyRecord, JobRecord, OutboxRecord, WebhookEventRecord } from "./records";
import {
  ApiKeyHash,
  EmailSent,
  JobId,
  JobUpdate,
  type JobUpdateInput,
  NewApiKey,
  type NewApiKeyInput,
  NewJob,
  type NewJobInput,
  NewOutboxEmail,
  type NewOutboxEmailInput,
  NewWebhookEvent,
  type NewWebhookEventInput,
  OutboxId,
  OutboxQuery,
  type OutboxQueryInput,
  StuckWebhookEventsQuery,
  type StuckWebhookEventsQueryInput,
  WebhookEventKey,
  type WebhookEventState,
} from "./schemas";
import * as webhookEvents from "./webhook-events";

export { ServiceError } from "./errors";
export type {
  ApiKeyRecord,
  JobRecord,
  Json,
  OutboxRecord,
  WebhookEventRecord,
} from "./records";
export type { JobStatus, WebhookEventState, WebhookProvider } from "./schemas";
export { WEBHOOK_PROVIDERS } from "./schemas";

export interface Env {
  DB: D1Database;
  VERSION?: WorkerVersionMetadata;
}

/** Turns a primary-key or unique violation into a 409 the caller can show as is. */
async function rejectDuplicate<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Error && error.message.includes("UNIQUE constraint failed")) {
      throw new ServiceError("conflict", `${what} already exists`, 409);
    }
    throw error;
  }
}

export default class DbService extends WorkerEntrypoint<Env> {
  async insertApiKey(input: NewApiKeyInput): Promise<ApiKeyRecord> {
    const key = parseInput(NewApiKey, input);
    return rejectDuplicate("api key", () => apiKeys.insertApiKey(this.env.DB, key));
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    return apiKeys.findApiKeyByHash(this.env.DB, parseInput(ApiKeyHash, hash));
  }

  async createJob(input: NewJobInput): Promise<JobRecord> {
    const job = parseInput(NewJob, input);
    return rejectDuplicate(`job ${job.id}`, () => jobs.createJob(this.env.DB, job));
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return jobs.getJob(this.env.DB, parseInput(JobId, id));
  }

  async updateJob(id: string, update: JobUpdateInput): Promise<JobRecord | null> {
    return jobs.updateJob(this.env.DB, parseInput(JobId, id), parseInput(JobUpdate, update));
  }

  async recordWebhookEvent(
    input: NewWebhookEventInput,
  ): Promise<{ inserted: boolean; state: WebhookEventState }> {
    return webhookEvents.recordWebhookEvent(this.env.DB, parseInput(NewWebhookEvent, input));
  }

  async markWebhookEventEnqueued(source: string, id: string): Promise<void> {
    const key = parseInput(WebhookEventKey, { source, id });
    await webhookEvents.markWebhookEventEnqueued(this.env.DB, key.source, key.id);
  }

  async markWebhookEventProcessed(
    source: string,
    id: string,
  ): Promise<{ processed: boolean; alreadyProcessed: boolean }> {
    const key = parseInput(WebhookEventKey, { source, id });
    return webhookEvents.markWebhookEventProcessed(this.env.DB, key.source, key.id);
  }

  async listStuckWebhookEvents(
    query: StuckWebhookEventsQueryInput,
  ): Promise<{ source: string; id: string }[]> {
    return webhookEvents.listStuckWebhookEvents(
      this.env.DB,
      parseInput(StuckWebhookEventsQuery, query),
    );
  }

  async getWebhookEvent(source: string, id: string): Promise<WebhookEventRecord | null> {
    const key = parseInput(WebhookEventKey, { source, id });
    return webhookEvents.getWebhookEvent(this.env.DB, key.source, key.id);
  }

  async insertOutboxEmail(input: NewOutboxEmailInput): Promise<OutboxRecord> {
    const email = parseInput(NewOutboxEmail, input);
    return rejectDuplicate(`email ${email.id}`, () => outbox.insertOutboxEmail(this.env.DB, email));
  }

  async getOutboxEmail(id: string): Promise<OutboxRecord | null> {
    return outbox.getOutboxEmail(this.env.DB, parseInput(OutboxId, id));
  }

  async markEmailSent(id: string, providerMessageId: string): Promise<OutboxRecord | null> {
    const sent = parseInput(EmailSent, { id, providerMessageId });
    return outbox.markEmailSent(this.env.DB, sent.id, sent.providerMessageId);
  }

  async listOutbox(query?: OutboxQueryInput): Promise<OutboxRecord[]> {
    return outbox.listOutbox(this.env.DB, parseInput(OutboxQuery, query));
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/health") return jsonError(404, "not_found", `no route for ${pathname}`);
    if (request.method !== "GET") {
      return jsonError(405, "method_not_allowed", "use GET for /health");
    }
    return health(this.env);
  }
}
