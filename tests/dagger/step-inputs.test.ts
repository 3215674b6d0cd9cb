import { beforeAll, describe, expect, it } from "vitest";
import { DOCS_GLOBS, GIT_EXCLUDES, type Step, stepSourceFilter } from "#core";
import { TOOLING_SUITES } from "../tooling-suites.js";
import {
  filesTestsRead,
  missingFromUpload,
  repoFiles,
  suiteFiles,
} from "./helpers/files-tests-read.js";
import { repoCiSteps, repoRoot, stepById } from "./helpers/repo-steps.js";

let steps: Step[];
let files: string[];

beforeAll(async () => {
  steps = await repoCiSteps();
  files = repoFiles(repoRoot);
});

const readBy = (suite: (typeof TOOLING_SUITES)[number]) =>
  filesTestsRead(repoRoot, suiteFiles(suite, files), files);

describe("each tooling suite's container", () => {
  it.each(TOOLING_SUITES.map((suite) => [suite.name, suite] as const))(
    "%s is given every repository file its tests read",
    (name, suite) => {
      const step = stepById(steps, `tooling:${name}`);
      const read = readBy(suite);
      expect(read.length).toBeGreaterThan(0);
      expect(missingFromUpload(stepSourceFilter(step), read)).toEqual([]);
    },
  );

  it("covers the docs, schema and fixture files the pipeline suite reads", () => {
    const pipeline = TOOLING_SUITES.find((suite) => suite.name === "pipeline");
    if (!pipeline) throw new Error("workers-pipeline.config.json declares no pipeline suite");
    expect(readBy(pipeline)).toEqual(
      expect.arrayContaining([
        "README.md",
        "pipeline/README.md",
        "docs/config.schema.json",
        "tests/fixtures/workspace/README.md",
        "tests/fixtures/workspace/docs/guide.md",
      ]),
    );
  });

  it("would catch an upload without the docs, as steps over the whole repository once had", () => {
    const pipeline = TOOLING_SUITES.find((suite) => suite.name === "pipeline");
    if (!pipeline) throw new Error("workers-pipeline.config.json declares no pipeline suite");
    const withoutDocs = { exclude: [...GIT_EXCLUDES, ...DOCS_GLOBS] };
    expect(missingFromUpload(withoutDocs, readBy(pipeline))).toEqual(
      expect.arrayContaining(["README.md", "pipeline/README.md", "docs/config.schema.json"]),
    );
  });
});
