import type DbService from "@workers/db";
import type QueueService from "@workers/queue";

export interface Env {
  DB: Service<DbService>;
  QUEUE: Service<QueueService>;
  /**
   * Which sender each `/webhooks/:source` is, from wrangler.jsonc's vars (see src/sources.ts).
   * The secrets it names are bindings of their own, read by name.
   */
  WEBHOOK_SOURCES: unknown;
  VERSION?: WorkerVersionMetadata;
}
