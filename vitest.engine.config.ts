import { defineConfig } from "vitest/config";

// The end-to-end suite against a real Dagger engine (pnpm run engine:up first). Not part of
// `pnpm test` or .ci/run: CI machines have no engine. Files run one at a time, since they share
// the one engine and its cache.
export default defineConfig({
  test: {
    include: ["tests/engine/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
