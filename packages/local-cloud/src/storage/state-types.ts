// The persisted shape of the control plane: what the real platform would keep per account. The
// schemas check cloud.json when it is read; the types are inferred from them.
import * as z from "zod";

/** A binding exactly as wrangler sends it in the upload metadata (`type` plus its fields). */
const uploadedBindingSchema = z.looseObject({ name: z.string(), type: z.string() });
export type UploadedBinding = z.infer<typeof uploadedBindingSchema>;

const moduleFileSchema = z.object({ name: z.string(), contentType: z.string() });
export type ModuleFile = z.infer<typeof moduleFileSchema>;

const versionRecordSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  createdOn: z.string(),
  annotations: z.record(z.string(), z.string()),
  source: z.string(),
  mainModule: z.string(),
  modules: z.array(moduleFileSchema),
  bindings: z.array(uploadedBindingSchema),
  compatibilityDate: z.string(),
  compatibilityFlags: z.array(z.string()),
  /** The script's Durable Object migrations as of this upload (see durable-objects.ts). */
  migrationTag: z.string().optional(),
  durableObjectClasses: z.record(z.string(), z.object({ sqlite: z.boolean() })).default({}),
});
export type VersionRecord = z.infer<typeof versionRecordSchema>;

const deploymentRecordSchema = z.object({
  id: z.string(),
  createdOn: z.string(),
  source: z.string(),
  strategy: z.literal("percentage"),
  annotations: z.record(z.string(), z.string()),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
});
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;

const scheduleRecordSchema = z.object({
  cron: z.string(),
  created_on: z.string(),
  modified_on: z.string(),
});
export type ScheduleRecord = z.infer<typeof scheduleRecordSchema>;

const workerRecordSchema = z.object({
  name: z.string(),
  createdOn: z.string(),
  modifiedOn: z.string(),
  /** Loopback port of the worker's stable URL; kept across restarts when still free. */
  port: z.number().int().optional(),
  subdomain: z.object({ enabled: z.boolean(), previews_enabled: z.boolean() }),
  schedules: z.array(scheduleRecordSchema),
  scriptSettings: z.record(z.string(), z.unknown()),
  versions: z.array(versionRecordSchema),
  /** Newest first, like the API lists them. */
  deployments: z.array(deploymentRecordSchema),
});
export type WorkerRecord = z.infer<typeof workerRecordSchema>;

const queueConsumerRecordSchema = z.object({
  consumer_id: z.string(),
  script_name: z.string(),
  type: z.literal("worker"),
  dead_letter_queue: z.string().optional(),
  settings: z.object({
    batch_size: z.number().optional(),
    max_retries: z.number().optional(),
    max_wait_time_ms: z.number().optional(),
    max_concurrency: z.number().nullable().optional(),
    retry_delay: z.number().optional(),
  }),
  created_on: z.string(),
});
export type QueueConsumerRecord = z.infer<typeof queueConsumerRecordSchema>;

const queueRecordSchema = z.object({
  queue_id: z.string(),
  queue_name: z.string(),
  created_on: z.string(),
  modified_on: z.string(),
  consumers: z.array(queueConsumerRecordSchema),
});
export type QueueRecord = z.infer<typeof queueRecordSchema>;

const d1RecordSchema = z.object({ uuid: z.string(), name: z.string(), created_on: z.string() });
export type D1Record = z.infer<typeof d1RecordSchema>;

const kvNamespaceRecordSchema = z.object({ id: z.string(), title: z.string() });
export type KvNamespaceRecord = z.infer<typeof kvNamespaceRecordSchema>;

const r2BucketRecordSchema = z.object({ name: z.string(), creation_date: z.string() });
export type R2BucketRecord = z.infer<typeof r2BucketRecordSchema>;

export const cloudStateSchema = z.object({
  accountId: z.string(),
  subdomain: z.string(),
  workers: z.record(z.string(), workerRecordSchema),
  queues: z.record(z.string(), queueRecordSchema),
  databases: z.record(z.string(), d1RecordSchema),
  // Absent from a cloud.json written before KV and R2 were resources of their own.
  kvNamespaces: z.record(z.string(), kvNamespaceRecordSchema).default({}),
  buckets: z.record(z.string(), r2BucketRecordSchema).default({}),
});
export type CloudState = z.infer<typeof cloudStateSchema>;
