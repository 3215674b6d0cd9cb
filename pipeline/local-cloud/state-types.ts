// The persisted shape of the control plane: what the real platform would keep per account.

/** A binding exactly as wrangler sends it in the upload metadata (`type` plus its fields). */
export interface UploadedBinding {
  name: string;
  type: string;
  [field: string]: unknown;
}

export interface ModuleFile {
  name: string;
  contentType: string;
}

export interface VersionRecord {
  id: string;
  number: number;
  createdOn: string;
  annotations: Record<string, string>;
  source: string;
  mainModule: string;
  modules: ModuleFile[];
  bindings: UploadedBinding[];
  compatibilityDate: string;
  compatibilityFlags: string[];
}

export interface DeploymentRecord {
  id: string;
  createdOn: string;
  source: string;
  strategy: "percentage";
  annotations: Record<string, string>;
  versions: { version_id: string; percentage: number }[];
}

export interface ScheduleRecord {
  cron: string;
  created_on: string;
  modified_on: string;
}

export interface WorkerRecord {
  name: string;
  createdOn: string;
  modifiedOn: string;
  /** Loopback port of the worker's stable URL; kept across restarts when still free. */
  port?: number;
  subdomain: { enabled: boolean; previews_enabled: boolean };
  schedules: ScheduleRecord[];
  scriptSettings: Record<string, unknown>;
  versions: VersionRecord[];
  /** Newest first, like the API lists them. */
  deployments: DeploymentRecord[];
}

export interface QueueConsumerRecord {
  consumer_id: string;
  script_name: string;
  type: "worker";
  dead_letter_queue?: string;
  settings: {
    batch_size?: number;
    max_retries?: number;
    max_wait_time_ms?: number;
    max_concurrency?: number | null;
    retry_delay?: number;
  };
  created_on: string;
}

export interface QueueRecord {
  queue_id: string;
  queue_name: string;
  created_on: string;
  modified_on: string;
  consumers: QueueConsumerRecord[];
}

export interface D1Record {
  uuid: string;
  name: string;
  created_on: string;
}

export interface CloudState {
  accountId: string;
  subdomain: string;
  workers: Record<string, WorkerRecord>;
  queues: Record<string, QueueRecord>;
  databases: Record<string, D1Record>;
}
