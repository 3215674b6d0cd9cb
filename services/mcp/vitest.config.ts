import { fakeWorkerModules } from "@workers/testing/fake-workers";
import { workerTestConfig } from "@workers/testing/worker-test-config";

const fakeWorker = (name: string) => ({
  name,
  modules: true,
  scriptPath: new URL(`./test/fakes/${name}.js`, import.meta.url).pathname,
  compatibilityDate: "2026-07-30",
});

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  miniflare: {
    workers: [
      fakeWorker("db"),
      // The queue's fake is shared with other services' tests; db's and email's are mcp's own.
      { name: "queue", ...fakeWorkerModules("queue"), compatibilityDate: "2026-07-30" },
      fakeWorker("email"),
    ],
  },
});
