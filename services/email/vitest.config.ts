import { workerTestConfig } from "@workers/testing/worker-test-config";

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  databaseId: "email-test-db",
  miniflare: {
    serviceBindings: { PROVIDER: "email-provider" },
    // The http transport's real fetch() leaves the worker and reaches the stand-in provider.
    outboundService: "email-provider",
    workers: [
      {
        name: "email-provider",
        modules: true,
        scriptPath: "./test/fixtures/provider.js",
        compatibilityDate: "2026-07-30",
        compatibilityFlags: ["nodejs_compat"],
      },
    ],
  },
});
