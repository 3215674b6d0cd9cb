import { fakeWorkerModules } from "@workers/testing/fake-workers";
import { workerTestConfig } from "@workers/testing/worker-test-config";
import { SECRETS } from "./test/secrets.ts";

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  databaseId: "webhooks-test-db",
  miniflare: {
    bindings: SECRETS,
    workers: [
      // The queue is a stand-in that records what it is asked to enqueue and can be told to
      // fail, which the real queue cannot be made to do on demand.
      {
        name: "queue",
        ...fakeWorkerModules("queue"),
        compatibilityDate: "2026-07-30",
        compatibilityFlags: ["nodejs_compat"],
      },
    ],
  },
});
