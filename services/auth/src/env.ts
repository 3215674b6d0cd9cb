import type DbService from "@workers/db";

export interface Env {
  DB: Service<DbService>;
  VERSION?: WorkerVersionMetadata;
}
