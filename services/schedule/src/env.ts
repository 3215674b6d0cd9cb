import type QueueService from "@workers/queue";

export interface Env {
  QUEUE: Service<QueueService>;
  /** Who receives the nightly maintenance email. */
  OPS_EMAIL: string;
  VERSION?: WorkerVersionMetadata;
}

/** A job as the queue service accepts it; the table below is typed against its contract. */
export type ScheduledJob = Parameters<QueueService["enqueue"]>[0];
