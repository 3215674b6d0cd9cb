import { workerTestConfig } from "@workers/testing/worker-test-config";

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  databaseId: "auth-test-db",
});
