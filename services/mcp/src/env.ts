import type DbService from "@workers/db";
import type EmailService from "@workers/email";
import type QueueService from "@workers/queue";

export interface Env {
  QUEUE: Service<QueueService>;
  EMAIL: Service<EmailService>;
  DB: Service<DbService>;
  VERSION?: WorkerVersionMetadata;
}
