import { defineConfig } from "vitest/config";

// Node drives the cluster from outside, as a client would: workerd runs the workers, Miniflare
// wires them. Files run one at a time because each starts a full eight-worker cluster.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    globalSetup: ["./harness/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
