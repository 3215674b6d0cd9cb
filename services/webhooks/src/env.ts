import type DbService from "@workers/db";
import type QueueService from "@workers/queue";

export interface Env {
  DB: Service<DbService>;
  QUEUE: Service<QueueService>;
  WEBHOOK_SECRET: string;
  VERSION?: WorkerVersionMetadata;
}
