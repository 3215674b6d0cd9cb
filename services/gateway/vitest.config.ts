import { workerTestConfig } from "@workers/testing/worker-test-config";

const SERVICES = ["auth", "db", "queue", "email", "webhooks", "mcp", "schedule"];
const fakeScript = new URL("./test/fakes/service.js", import.meta.url).pathname;

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  miniflare: {
    bindings: { ADMIN_TOKEN: "test-admin-token" },
    workers: SERVICES.map((name) => ({
      name,
      modules: true,
      scriptPath: fakeScript,
      compatibilityDate: "2026-07-30",
      bindings: { SERVICE_NAME: name },
    })),
  },
});
