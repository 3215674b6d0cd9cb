import { defineConfig } from "vitest/config";
import { TOOLING_SUITES } from "./tests/tooling-suites.js";

// Tests of the pipeline itself (host runner, Dagger module checks, workflows, deploys). They run
// in Node, not workerd: they drive real processes, git repositories and the local control plane.
// One vitest project per suite: the CI graph runs each as its own step (`--project <name>`).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ["tests/helpers/own-local-cloud.ts"],
    projects: TOOLING_SUITES.map((suite) => ({
      extends: true,
      test: {
        name: suite.name,
        include: suite.include,
        exclude: suite.exclude ?? [],
        ...(suite.isolate === false ? { isolate: false } : {}),
      },
    })),
    // Off unless asked for (`--coverage.enabled`, as the CI steps do). Only maps: one suite's
    // share means nothing against the threshold; the gate judges the suites' merged maps.
    coverage: {
      provider: "istanbul",
      include: ["dagger/src/core/**/*.ts", "pipeline/**/*.{ts,mjs}"],
      exclude: [
        // Process entry: hands argv, env and the exit code to run-cli.ts, which tests call in-process.
        "pipeline/cli.ts",
      ],
      reporter: ["json"],
    },
  },
});
