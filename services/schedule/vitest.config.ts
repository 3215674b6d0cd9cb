import { fakeWorkerModules } from "@workers/testing/fake-workers";
import { workerTestConfig } from "@workers/testing/worker-test-config";

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  miniflare: {
    workers: [{ name: "queue", ...fakeWorkerModules("queue"), compatibilityDate: "2026-07-30" }],
  },
});
