import { join } from "node:path";
import { supportedCompatibilityDate, type WorkerOptions } from "miniflare";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { CloudState, UploadedBinding, VersionRecord } from "../storage/state-types.js";

type ModuleRuleType = "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";

const moduleTypes: Record<string, ModuleRuleType> = {
  "application/javascript+module": "ESModule",
  "application/javascript": "CommonJS",
  "text/javascript": "ESModule",
  "text/plain": "Text",
  "application/octet-stream": "Data",
  "application/wasm": "CompiledWasm",
};

/** Binding types the local control plane can run; anything else is refused at upload. */
export const supportedBindingTypes = [
  "plain_text",
  "json",
  "secret_text",
  "version_metadata",
  "service",
  "d1",
  "queue",
  "analytics_engine",
  "kv_namespace",
  "r2_bucket",
  "durable_object_namespace",
] as const;

export function assertBindingsSupported(bindings: UploadedBinding[]): void {
  for (const binding of bindings) {
    if (!(supportedBindingTypes as readonly string[]).includes(binding.type)) {
      throw new ApiError(
        400,
        ErrorCode.badRequest,
        `binding "${binding.name}" has type "${binding.type}", which the local control plane does not run (supported: ${supportedBindingTypes.join(", ")})`,
      );
    }
  }
}

/** Queue name -> Miniflare consumer options, for the queues this worker consumes. */
function queueConsumersOf(workerName: string, state: CloudState): WorkerOptions["queueConsumers"] {
  const consumers: Record<
    string,
    NonNullable<Exclude<WorkerOptions["queueConsumers"], string[]>>[string]
  > = {};
  for (const queue of Object.values(state.queues)) {
    const consumer = queue.consumers.find((c) => c.script_name === workerName);
    if (!consumer) continue;
    const { settings } = consumer;
    consumers[queue.queue_name] = {
      ...(settings.batch_size !== undefined && { maxBatchSize: settings.batch_size }),
      ...(settings.max_wait_time_ms !== undefined && {
        maxBatchTimeout: settings.max_wait_time_ms / 1000,
      }),
      ...(settings.max_retries !== undefined && { maxRetries: settings.max_retries }),
      ...(settings.retry_delay !== undefined && { retryDelay: settings.retry_delay }),
      ...(consumer.dead_letter_queue && { deadLetterQueue: consumer.dead_letter_queue }),
    };
  }
  return consumers;
}

/**
 * The platform accepts today's date; the bundled workerd only knows dates up to its release.
 * Like `wrangler dev`, run such a worker at the newest date this workerd supports.
 */
export function runnableCompatibilityDate(requested: string): string {
  return requested > supportedCompatibilityDate ? supportedCompatibilityDate : requested;
}

export interface WorkerOptionsInput {
  workerName: string;
  /** The name in workerd; other workers' service bindings reach the one named `workerName`. */
  runtimeName: string;
  version: VersionRecord;
  versionDir: string;
  state: CloudState;
  /** Only one version of a worker consumes its queues; validation only proves start-up. */
  consumesQueues: boolean;
}

/** Translates an uploaded version (metadata as wrangler sent it) into Miniflare worker options. */
export function toWorkerOptions(input: WorkerOptionsInput): WorkerOptions {
  const { workerName, runtimeName, version, versionDir, state, consumesQueues } = input;
  const bindings: Record<string, unknown> = {};
  const serviceBindings: Record<string, string | { name: string; entrypoint: string }> = {};
  const d1Databases: Record<string, string> = {};
  const queueProducers: Record<string, { queueName: string }> = {};
  const analyticsEngineDatasets: Record<string, { dataset: string }> = {};
  const kvNamespaces: Record<string, string> = {};
  const r2Buckets: Record<string, string> = {};
  const durableObjects: NonNullable<WorkerOptions["durableObjects"]> = {};
  for (const binding of version.bindings) {
    switch (binding.type) {
      case "plain_text":
      case "secret_text":
        bindings[binding.name] = binding.text;
        break;
      case "json":
        bindings[binding.name] = binding.json;
        break;
      case "version_metadata":
        // A JSON binding rather than Miniflare's versionMetadata option: that one invents its
        // own id, and /health must report the id wrangler printed for this version.
        bindings[binding.name] = {
          id: version.id,
          tag: version.annotations["workers/tag"] ?? "",
          timestamp: version.createdOn,
        };
        break;
      case "service": {
        const target = String(binding.service);
        serviceBindings[binding.name] =
          typeof binding.entrypoint === "string"
            ? { name: target, entrypoint: binding.entrypoint }
            : target;
        break;
      }
      case "d1":
        d1Databases[binding.name] = String(binding.id);
        break;
      case "queue":
        queueProducers[binding.name] = { queueName: String(binding.queue_name) };
        break;
      case "analytics_engine":
        // wrangler sends no dataset when the config names none: the dataset is the binding's.
        analyticsEngineDatasets[binding.name] = {
          dataset: typeof binding.dataset === "string" ? binding.dataset : binding.name,
        };
        break;
      case "kv_namespace":
        kvNamespaces[binding.name] = String(binding.namespace_id);
        break;
      case "r2_bucket":
        r2Buckets[binding.name] = String(binding.bucket_name);
        break;
      case "durable_object_namespace": {
        const className = String(binding.class_name);
        const owner = typeof binding.script_name === "string" ? binding.script_name : workerName;
        const classes =
          owner === workerName
            ? version.durableObjectClasses
            : state.workers[owner]?.versions.at(-1)?.durableObjectClasses;
        // Objects live in the instance named after their worker (its largest share), so every
        // version reaches the same objects and their storage (keyed by worker and class).
        durableObjects[binding.name] = {
          className,
          ...(owner !== runtimeName && { scriptName: owner }),
          useSQLite: classes?.[className]?.sqlite ?? true,
        };
        break;
      }
    }
  }
  const modules = version.modules
    .filter((module) => moduleTypes[module.contentType] !== undefined)
    .map((module) => ({
      type: moduleTypes[module.contentType] as ModuleRuleType,
      path: join(versionDir, module.name),
    }));
  // workerd starts from the first module, so the main module leads.
  modules.sort(
    (a, b) =>
      Number(b.path === join(versionDir, version.mainModule)) -
      Number(a.path === join(versionDir, version.mainModule)),
  );
  return {
    name: runtimeName,
    modules,
    modulesRoot: versionDir,
    compatibilityDate: runnableCompatibilityDate(version.compatibilityDate),
    compatibilityFlags: version.compatibilityFlags,
    bindings,
    serviceBindings,
    d1Databases,
    queueProducers,
    analyticsEngineDatasets,
    kvNamespaces,
    r2Buckets,
    durableObjects,
    ...(consumesQueues && { queueConsumers: queueConsumersOf(workerName, state) }),
  };
}
