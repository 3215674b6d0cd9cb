import { defineConfig } from "vitest/config";

// The end-to-end suite: real `dagger call`s with the Dagger CLI on PATH (or
// _EXPERIMENTAL_DAGGER_CLI_BIN). Not part of `pnpm test` or CI: no engine can be had on the
// machines this repository is built on. Files run one at a time, since they share one engine
// and its cache.
export default defineConfig({
  test: {
    include: ["tests/engine/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
