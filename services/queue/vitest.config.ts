import { bundlePath } from "@workers/testing/build-workers";
import { workerTestConfig } from "@workers/testing/worker-test-config";

const serviceDir = new URL(".", import.meta.url).pathname;
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default workerTestConfig({
  serviceDir,
  databaseId: "queue-test-db",
  bundles: ["email"],
  miniflare: {
    serviceBindings: { DEAD_LETTERS: "dead-letters" },
    // The real producer and consumer from wrangler.jsonc, with batches flushed quickly.
    queueConsumers: {
      jobs: {
        maxBatchSize: 10,
        maxBatchTimeout: 0.1,
        maxRetries: 3,
        deadLetterQueue: "jobs-dlq",
      },
    },
    workers: [
      {
        name: "email",
        modules: true,
        scriptPath: bundlePath(serviceDir, "email"),
        serviceBindings: { DB: "db" },
        bindings: { EMAIL_TRANSPORT: "recording", EMAIL_FROM: "Tests <tests@example.com>" },
        ...compatibility,
      },
      {
        name: "dead-letters",
        modules: true,
        scriptPath: "./test/fixtures/dead-letters.js",
        queueConsumers: { "jobs-dlq": { maxBatchTimeout: 0.1 } },
        ...compatibility,
      },
    ],
  },
});
