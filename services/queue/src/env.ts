import type DbService from "@workers/db";
import type EmailService from "@workers/email";
import type { JobMessage } from "./schemas";

export interface Env {
  DB: Service<DbService>;
  EMAIL: Service<EmailService>;
  JOBS: Queue<JobMessage>;
  VERSION?: WorkerVersionMetadata;
}
