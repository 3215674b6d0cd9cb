import * as z from "zod";

/** A binding other than a service binding: listed in `graph`, not ordered by deploy waves. */
export interface ResourceBinding {
  /** wrangler's config key, e.g. `kv_namespaces`, `durable_objects`, `ai`. */
  kind: string;
  /** The name the Worker's code sees (absent for a queue consumer, which has none). */
  binding?: string;
  /** What it points at: a namespace id, bucket, database, class, queue, index... when given. */
  resource?: string;
}

/** `[{ <bindingKey>: "X", <resourceKey>: "Y" }]`, the shape most binding kinds share. */
function listOf(kind: string, bindingKey: string, resourceKey?: string) {
  const item = z
    .object({
      [bindingKey]: z.string(),
      ...(resourceKey ? { [resourceKey]: z.string().optional() } : {}),
    })
    .loose();
  return z.array(item).transform((items) =>
    items.map((entry): ResourceBinding => {
      const resource = resourceKey ? entry[resourceKey] : undefined;
      return {
        kind,
        binding: String(entry[bindingKey]),
        ...(typeof resource === "string" ? { resource } : {}),
      };
    }),
  );
}

/** `{ binding: "X" }`, the shape of the account-wide kinds (AI, browser, images...). */
function single(kind: string) {
  return z
    .object({ binding: z.string() })
    .loose()
    .transform((entry): ResourceBinding[] => [{ kind, binding: entry.binding }]);
}

/**
 * Every binding kind wrangler 4 declares besides `services`, as config key -> schema of its
 * value, normalised to ResourceBinding lists. None of these is inherited by environments.
 */
export const RESOURCE_BINDING_SCHEMAS = {
  kv_namespaces: listOf("kv_namespaces", "binding", "id"),
  r2_buckets: listOf("r2_buckets", "binding", "bucket_name"),
  d1_databases: listOf("d1_databases", "binding", "database_name"),
  durable_objects: z
    .object({ bindings: listOf("durable_objects", "name", "class_name") })
    .loose()
    .transform((value) => value.bindings),
  queues: z
    .object({
      producers: listOf("queues", "binding", "queue").optional(),
      consumers: z
        .array(z.object({ queue: z.string() }).loose())
        .optional()
        .transform((items) =>
          (items ?? []).map(
            (entry): ResourceBinding => ({ kind: "queues", resource: entry.queue }),
          ),
        ),
    })
    .loose()
    .transform((value) => [...(value.producers ?? []), ...value.consumers]),
  vectorize: listOf("vectorize", "binding", "index_name"),
  analytics_engine_datasets: listOf("analytics_engine_datasets", "binding", "dataset"),
  hyperdrive: listOf("hyperdrive", "binding", "id"),
  workflows: listOf("workflows", "binding", "class_name"),
  // A container belongs to a Durable Object class and has no binding name of its own.
  containers: listOf("containers", "class_name"),
  dispatch_namespaces: listOf("dispatch_namespaces", "binding", "namespace"),
  mtls_certificates: listOf("mtls_certificates", "binding", "certificate_id"),
  secrets_store_secrets: listOf("secrets_store_secrets", "binding", "secret_name"),
  send_email: listOf("send_email", "name", "destination_address"),
  ai: single("ai"),
  browser: single("browser"),
  images: single("images"),
  version_metadata: single("version_metadata"),
};

export const RESOURCE_BINDING_KEYS = Object.keys(
  RESOURCE_BINDING_SCHEMAS,
) as (keyof typeof RESOURCE_BINDING_SCHEMAS)[];
