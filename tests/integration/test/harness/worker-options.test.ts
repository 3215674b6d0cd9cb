import { describe, expect, it } from "vitest";
import { HARNESS_TAG } from "../../harness/flow-tags.js";
import { toWorkerOptions } from "../../harness/worker-options.js";
import type { WorkerSpec } from "../../harness/worker-spec.js";
import type { WranglerConfig } from "../../harness/wrangler-config.js";

const config: WranglerConfig = {
  name: "queue",
  compatibility_date: "2020-01-01",
  compatibility_flags: ["nodejs_compat"],
  vars: { EMAIL_TRANSPORT: "http", REGION: "eu" },
  version_metadata: { binding: "VERSION" },
  services: [
    { binding: "DB", service: "db" },
    { binding: "ADMIN", service: "admin", entrypoint: "AdminEntrypoint" },
  ],
  d1_databases: [{ binding: "DB", database_id: "db-id", migrations_dir: "migrations" }],
  queues: {
    producers: [{ binding: "JOBS", queue: "jobs" }],
    consumers: [{ queue: "jobs", max_batch_timeout: 1, max_retries: 3, dead_letter_queue: "dlq" }],
  },
  triggers: { crons: [] },
};
const spec: WorkerSpec = {
  name: "queue",
  scriptPath: "/out/queue/index.js",
  config,
  databases: [],
};

describe("toWorkerOptions", { tags: [HARNESS_TAG] }, () => {
  it("maps every binding of the wrangler config to its Miniflare option", () => {
    expect(toWorkerOptions(spec)).toMatchObject({
      name: "queue",
      modules: true,
      scriptPath: "/out/queue/index.js",
      modulesRoot: "/out/queue",
      compatibilityDate: "2020-01-01",
      compatibilityFlags: ["nodejs_compat"],
      versionMetadata: "VERSION",
      serviceBindings: { DB: "db", ADMIN: { name: "admin", entrypoint: "AdminEntrypoint" } },
      d1Databases: { DB: "db-id" },
      queueProducers: { JOBS: { queueName: "jobs" } },
      queueConsumers: {
        jobs: { maxBatchTimeout: 1, maxRetries: 3, deadLetterQueue: "dlq" },
      },
    });
  });

  it("keeps vars, forces the recording email transport and adds the test secrets", () => {
    const { bindings } = toWorkerOptions(spec);

    expect(bindings).toMatchObject({ REGION: "eu", EMAIL_TRANSPORT: "recording" });
    expect(Object.keys(bindings ?? {})).toEqual(
      expect.arrayContaining(["ADMIN_TOKEN", "WEBHOOK_SECRET"]),
    );
  });

  it("falls back to the newest compatibility date the bundled workerd supports", () => {
    const future = { ...spec, config: { ...config, compatibility_date: "2999-01-01" } };

    const { compatibilityDate } = toWorkerOptions(future);

    expect(compatibilityDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(compatibilityDate && compatibilityDate < "2999-01-01").toBe(true);
  });
});
