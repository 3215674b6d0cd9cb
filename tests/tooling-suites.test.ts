import { glob, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { createVitest } from "vitest/node";
import { discoverServices } from "#core";
import { fsRepoReader } from "../pipeline/host/fs-repo-reader.js";
import { REPO_ROOT } from "./helpers/paths.js";
import {
  type SuiteFile,
  sharedModuleProblems,
  suiteProblems,
} from "./helpers/tooling-suite-rules.js";
import { TOOLING_SUITES, TOOLING_TEST_FILES } from "./tooling-suites.js";

const repoRoot = REPO_ROOT;

/** What vitest itself resolves from vitest.tooling.config.ts: each test file and its project. */
async function resolvedSuites(): Promise<SuiteFile[]> {
  const vitest = await createVitest("test", {
    root: repoRoot,
    config: join(repoRoot, "vitest.tooling.config.ts"),
    watch: false,
  });
  try {
    return (await vitest.globTestSpecifications()).map((spec) => ({
      suite: spec.project.name,
      file: relative(repoRoot, spec.moduleId),
    }));
  } finally {
    await vitest.close();
  }
}

describe("the tooling suites", () => {
  it("run every tooling test file exactly once, one suite a CI step", async () => {
    const files: string[] = [];
    for await (const file of glob(TOOLING_TEST_FILES, { cwd: repoRoot })) {
      files.push(file);
    }
    const resolved = await resolvedSuites();
    expect(files.length).toBeGreaterThan(10);
    expect(suiteProblems(files, resolved)).toEqual([]);
    expect(new Set(resolved.map((entry) => entry.suite))).toEqual(
      new Set(TOOLING_SUITES.map((suite) => suite.name)),
    );
  });

  it("are reported when a file is in no suite or in two", () => {
    expect(
      suiteProblems(
        ["tests/dagger/a.test.ts", "tests/deploy/b.test.ts", "tests/new/c.test.ts"],
        [
          { suite: "dagger", file: "tests/dagger/a.test.ts" },
          { suite: "pipeline", file: "tests/deploy/b.test.ts" },
          { suite: "deploy-local", file: "tests/deploy/b.test.ts" },
        ],
      ),
    ).toEqual([
      "tests/deploy/b.test.ts is in several tooling suites: pipeline, deploy-local",
      "tests/new/c.test.ts is in no tooling suite, so no CI step runs it",
    ]);
  });

  it("share modules between files only where no file mocks a module or stubs a global", async () => {
    const shared = new Set(
      TOOLING_SUITES.filter((suite) => suite.isolate === false).map((suite) => suite.name),
    );
    const sources = await Promise.all(
      (await resolvedSuites()).map(async (entry) => ({
        ...entry,
        text: await readFile(join(repoRoot, entry.file), "utf8"),
        shared: shared.has(entry.suite),
      })),
    );
    expect(sources.some((source) => source.shared)).toBe(true);
    expect(sharedModuleProblems(sources)).toEqual([]);
  });

  it("report a mock in a suite that shares modules, and allow it in one that does not", () => {
    // Assembled, so this file's own text does not trip the check above.
    const mocking = `vi.${"mock"}("../../pipeline/host/execa-executor.js");`;
    expect(
      sharedModuleProblems([
        { suite: "pipeline", file: "tests/pipeline/a.test.ts", text: mocking, shared: true },
        { suite: "deploy-local", file: "tests/deploy/b.test.ts", text: mocking, shared: false },
      ]),
    ).toEqual([
      "tests/pipeline/a.test.ts mocks or stubs through vi, but suite pipeline shares modules between files",
    ]);
  });

  it("are this repository's root tests: its pipeline config declares one step per suite", async () => {
    const catalog = await discoverServices(fsRepoReader(repoRoot));
    expect(catalog.settings.rootTestInputs).toContain("tests/pipeline/**");
    expect(catalog.settings.rootTests).toEqual(
      TOOLING_SUITES.map((suite) => ({
        name: suite.name,
        script: "test:tooling",
        args: ["--project", suite.name],
        coverageSubject: "pipeline",
      })),
    );
  });
});
