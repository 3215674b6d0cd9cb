import type DbService from "@workers/db";

export interface Env {
  DB: Service<DbService>;
  EMAIL_TRANSPORT?: string;
  EMAIL_FROM?: string;
  EMAIL_API_URL?: string;
  /** Secret; never logged or echoed in errors. */
  EMAIL_API_KEY?: string;
  VERSION?: WorkerVersionMetadata;
}
