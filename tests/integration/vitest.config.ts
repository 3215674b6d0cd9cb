import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { HARNESS_TAG, serviceTags } from "./harness/flow-tags.js";

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
    // Flows are tagged with the services they enter through; `--tags-filter` picks them.
    tags: [...serviceTags(resolve(import.meta.dirname, "../..")), HARNESS_TAG].map((name) => ({
      name,
    })),
  },
});
