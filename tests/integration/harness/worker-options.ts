import { dirname } from "node:path";
import type { WorkerOptions } from "miniflare";
import { runtimeCompatibilityDate } from "./runtime-compatibility.js";
import { testSecrets, testVars } from "./test-secrets.js";
import type { WorkerSpec } from "./worker-spec.js";

type Json = NonNullable<WorkerOptions["bindings"]>[string];

// Translates a worker's top-level wrangler config into Miniflare options, binding for binding,
// so service bindings, D1 and queues are the real workerd implementations and nothing is mocked.
export function toWorkerOptions({ name, scriptPath, config }: WorkerSpec): WorkerOptions {
  const { producers, consumers } = config.queues;
  return {
    name,
    modules: true,
    scriptPath,
    // Module names are paths relative to this root; workerd rejects ".." escapes.
    modulesRoot: dirname(scriptPath),
    compatibilityDate: runtimeCompatibilityDate(config.compatibility_date),
    compatibilityFlags: config.compatibility_flags,
    bindings: { ...(config.vars as Record<string, Json>), ...testVars, ...testSecrets },
    ...(config.version_metadata && { versionMetadata: config.version_metadata.binding }),
    serviceBindings: Object.fromEntries(
      config.services.map(({ binding, service, entrypoint }) => [
        binding,
        entrypoint ? { name: service, entrypoint } : service,
      ]),
    ),
    d1Databases: Object.fromEntries(
      config.d1_databases.map(({ binding, database_id }) => [binding, database_id]),
    ),
    queueProducers: Object.fromEntries(
      producers.map(({ binding, queue }) => [binding, { queueName: queue }]),
    ),
    queueConsumers: Object.fromEntries(
      consumers.map((consumer) => [
        consumer.queue,
        {
          maxBatchSize: consumer.max_batch_size,
          maxBatchTimeout: consumer.max_batch_timeout,
          maxRetries: consumer.max_retries,
          deadLetterQueue: consumer.dead_letter_queue,
          retryDelay: consumer.retry_delay,
        },
      ]),
    ),
  };
}
