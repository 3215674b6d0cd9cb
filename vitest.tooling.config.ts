import { defineConfig } from "vitest/config";

// Tests of the pipeline itself (host runner, Dagger module checks, workflows, deploys). They run
// in Node, not workerd: they drive real processes, git repositories and the local control plane.
export default defineConfig({
  test: {
    include: ["tests/{pipeline,dagger,workflows,deploy}/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
