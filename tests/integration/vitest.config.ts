import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { HARNESS_TAG, serviceTags } from "./harness/flow-tags.js";

// Node drives the cluster from outside, as a client would: workerd runs the workers, Miniflare
// wires them. Each file starts its own eight-worker cluster on free ports, so two files run side
// by side: much of a flow's time is waiting for queue consumers, not CPU.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    globalSetup: ["./harness/global-setup.ts"],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Flows are tagged with the services they enter through; `--tags-filter` picks them.
    tags: [...serviceTags(resolve(import.meta.dirname, "../..")), HARNESS_TAG].map((name) => ({
      name,
    })),
  },
});
