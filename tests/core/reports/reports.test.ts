import { describe, expect, it } from "vitest";
import {
  affectedFromChanges,
  formatStepFinished,
  pipelineSettings,
  type RunResult,
  renderAffected,
  renderFailures,
  renderMarkdownSummary,
  renderSummaryTable,
  reproduceStep,
  type ServiceCatalog,
  toJsonReport,
} from "#core";

const run: RunResult = {
  exitCode: 1,
  durationMs: 83_400,
  concurrency: 2,
  steps: [
    {
      id: "install",
      title: "install",
      status: "passed",
      exitCode: 0,
      startedAt: 0,
      durationMs: 2100,
      logTail: "",
    },
    {
      id: "test:db",
      title: "unit tests of db",
      status: "passed",
      service: "db",
      exitCode: 0,
      startedAt: 2100,
      durationMs: 12_345,
      logTail: "",
      coverage: { lines: 91.2, branches: 84, functions: 100, statements: 90.5 },
    },
    {
      id: "test:auth",
      title: "unit tests of auth",
      status: "failed",
      service: "auth",
      exitCode: 1,
      startedAt: 2100,
      durationMs: 61_000,
      logTail: "FAIL test/auth.test.ts > verifies keys\nAssertionError: expected false to be true",
    },
    {
      id: "integration",
      title: "integration",
      status: "skipped",
      durationMs: 0,
      logTail: "",
      reason: "needs test:auth, which failed",
    },
    {
      id: "coverage",
      title: "coverage gate",
      status: "skipped",
      durationMs: 0,
      logTail: "",
      reason: "needs test:auth, which failed",
    },
  ],
};

describe("run reports", () => {
  it("prints a live line per finished step with its duration and exit code", () => {
    expect(formatStepFinished(run.steps[1] as never)).toBe("+ test:db PASS in 12.3s");
    expect(formatStepFinished(run.steps[2] as never)).toBe(
      "x test:auth FAIL in 1m01s, exit code 1",
    );
    expect(formatStepFinished(run.steps[3] as never)).toBe(
      "- integration SKIP (needs test:auth, which failed)",
    );
  });

  it("shows the failing step's name, exit code and log tail", () => {
    expect(renderFailures(run)).toBe(
      [
        "==== FAILED: test:auth (exit code 1) ====",
        "FAIL test/auth.test.ts > verifies keys",
        "AssertionError: expected false to be true",
        "==== end of test:auth ====",
        "reproduce locally:",
        "  dagger call test --service auth",
        "  dagger call test --service auth terminal  # a shell in its container",
        "  pnpm run pipeline test --service auth",
      ].join("\n"),
    );
  });

  it("says how to reproduce each kind of failed step with either runner", () => {
    expect(reproduceStep({ id: "tooling:dagger" })).toEqual({
      dagger: "dagger call tooling",
      terminal: "dagger call tooling terminal",
      host: "pnpm run pipeline test",
    });
    expect(reproduceStep({ id: "typecheck:db" }).host).toBe("pnpm run pipeline typecheck");
    expect(reproduceStep({ id: "lint" }).dagger).toBe("dagger call lint");
    expect(reproduceStep({ id: "test:shared" }).dagger).toBe("dagger call test");
    expect(reproduceStep({ id: "coverage" }).terminal).toBe("dagger call coverage terminal");
  });

  it("renders a summary table with coverage per service against the threshold", () => {
    expect(renderSummaryTable(run)).toBe(
      [
        "step         status  duration",
        "-----------  ------  --------",
        "install      PASS    2.1s",
        "test:db      PASS    12.3s",
        "test:auth    FAIL    1m01s",
        "integration  SKIP    -",
        "coverage     SKIP    -",
        "",
        "coverage (threshold 80%):",
        "code  lines  branches  functions  statements  >= 80%",
        "----  -----  --------  ---------  ----------  ------",
        "db    91.2%  84.0%     100.0%     90.5%       yes",
        "",
        "steps: 2 passed, 1 failed, 2 skipped",
        "FAILED: test:auth (1m23s)",
      ].join("\n"),
    );
  });

  it("prefers the gate's verdicts, which include subjects without a map and the pipeline code", () => {
    const gated: RunResult = {
      ...run,
      steps: [
        {
          id: "coverage",
          title: "gate",
          status: "failed",
          exitCode: 1,
          startedAt: 0,
          durationMs: 0,
          logTail: "auth: no coverage map at services/auth/coverage/coverage-final.json",
          coverageReport: [
            {
              subject: "auth",
              mapPaths: ["services/auth/coverage/coverage-final.json"],
              passed: false,
              problems: ["no coverage map at services/auth/coverage/coverage-final.json"],
            },
            {
              subject: "db",
              mapPaths: ["services/db/coverage/coverage-final.json"],
              coverage: { lines: 79.9, branches: 80, functions: 80, statements: 80 },
              passed: false,
              problems: ["lines 79.9% < 80%"],
            },
            {
              subject: "pipeline",
              mapPaths: ["coverage/tooling/dagger/coverage-final.json"],
              coverage: { lines: 85, branches: 81.5, functions: 90, statements: 84.2 },
              passed: true,
              problems: [],
            },
          ],
        },
      ],
    };
    const table = renderSummaryTable(gated);
    expect(table).toContain("auth      missing  missing   missing    missing     NO");
    expect(table).toContain("db        79.9%    80.0%     80.0%      80.0%       NO");
    expect(table).toContain("pipeline  85.0%    81.5%     90.0%      84.2%       yes");
  });

  it("leaves out a tooling suite's share of the pipeline code when the gate did not merge them", () => {
    const withSuite: RunResult = {
      ...run,
      steps: [
        ...run.steps,
        {
          id: "tooling:dagger",
          title: "pipeline tests: dagger",
          status: "passed",
          exitCode: 0,
          startedAt: 0,
          durationMs: 1000,
          logTail: "",
          coverage: { lines: 40, branches: 30, functions: 35, statements: 40 },
        },
      ],
    };
    const table = renderSummaryTable(withSuite);
    expect(table).toContain("db    91.2%");
    expect(table).not.toContain("40.0%");
  });

  it("renders Markdown with the tables and each failure's log in a code block", () => {
    const markdown = renderMarkdownSummary(run, "pipeline ci");
    expect(markdown.startsWith("## pipeline ci: failed\n")).toBe(true);
    expect(markdown).toContain("| test:auth | FAIL | 1m01s |");
    expect(markdown).toContain("| db | 91.2% | 84.0% | 100.0% | 90.5% | yes |");
    expect(markdown).toContain(
      "### test:auth failed (exit code 1)\n\n```\nFAIL test/auth.test.ts > verifies keys\nAssertionError: expected false to be true\n```\n\nReproduce locally:\n\n```sh\ndagger call test --service auth\ndagger call test --service auth terminal  # a shell in its container\npnpm run pipeline test --service auth\n```",
    );
  });

  it("serialises the run as JSON with the verdict on top", () => {
    const json = JSON.parse(JSON.stringify(toJsonReport(run)));
    expect(json.passed).toBe(false);
    expect(json.exitCode).toBe(1);
    expect(json.steps).toHaveLength(5);
    expect(json.steps[1].coverage.lines).toBe(91.2);
    expect(json.steps[1].reproduce).toBeUndefined();
    expect(json.steps[2].reproduce).toEqual({
      dagger: "dagger call test --service auth",
      terminal: "dagger call test --service auth terminal",
      host: "pnpm run pipeline test --service auth",
    });
  });
});

describe("a step replayed from the cache", () => {
  const replayed: RunResult = {
    ...run,
    exitCode: 0,
    steps: [{ ...(run.steps[1] as RunResult["steps"][number]), durationMs: 150, cached: true }],
  };

  it("is marked cached in its live line, the tables, the tally and the JSON", () => {
    expect(formatStepFinished(replayed.steps[0] as never)).toBe("+ test:db PASS (cached) in 0.1s");
    expect(renderSummaryTable(replayed)).toContain("test:db  PASS (cached)  0.1s");
    expect(renderSummaryTable(replayed)).toContain(
      "steps: 1 passed, 0 failed; 1 replayed from the cache",
    );
    expect(renderMarkdownSummary(replayed)).toContain("| test:db | PASS (cached) | 0.1s |");
    expect(JSON.parse(JSON.stringify(toJsonReport(replayed))).steps[0].cached).toBe(true);
  });

  it("is not said of steps that ran", () => {
    expect(renderSummaryTable(run)).not.toContain("cached");
    expect(JSON.parse(JSON.stringify(toJsonReport(run))).steps[1]).not.toHaveProperty("cached");
  });
});

describe("affected rules and report", () => {
  const service = (name: string, deps: string[] = [], bindings: string[] = []) => ({
    name,
    dir: `services/${name}`,
    packageName: `@workers/${name}`,
    wranglerFile: `services/${name}/wrangler.jsonc`,
    targets: ["@local", "staging", "production"],
    leftOut: {},
    workspaceDependencies: deps,
    workerNames: { "@local": name, staging: `${name}-staging`, production: `${name}-production` },
    bindings: { "@local": bindings, staging: bindings, production: bindings },
    externalBindings: { "@local": [], staging: [], production: [] },
    resources: { "@local": [], staging: [], production: [] },
    healthPath: "/health",
    healthContract: "version" as const,
    scripts: { test: "vitest run --coverage" },
    hasTsconfig: true,
  });
  const catalog: ServiceCatalog = {
    services: [service("db"), service("queue", ["db"]), service("schedule", [], ["queue"])],
    libraries: [
      {
        name: "@workers/integration-tests",
        dir: "tests/integration",
        packageName: "@workers/integration-tests",
        workspaceDependencies: [],
        scripts: { test: "vitest run" },
        hasTsconfig: true,
      },
    ],
    // The report mentions integration and root tests only where the repository declares them.
    settings: pipelineSettings({
      integrationTests: { package: "@workers/integration-tests" },
      rootTests: {
        inputs: ["tests/pipeline/**"],
        steps: [{ name: "pipeline", script: "test:tooling" }],
      },
    }),
    root: { scripts: {} },
  };

  it("explains each selected service in one line", () => {
    const result = affectedFromChanges(catalog, "main", ["services/db/src/index.ts"], []);
    expect(renderAffected(result)).toBe(
      [
        "affected since main (some):",
        "  db: changed: services/db/src/index.ts",
        "  queue: depends on db",
        "  schedule: binds to queue",
        "  (integration tests: services changed: db, queue, schedule)",
      ].join("\n"),
    );
  });

  it("runs only the tooling tests for a change to them, and everything for an unknown root file", () => {
    const tooling = affectedFromChanges(catalog, "main", ["tests/pipeline/x.test.ts"], []);
    expect(tooling.scope).toBe("some");
    expect(tooling.services).toEqual([]);
    expect(tooling.tooling).toBe("changed: tests/pipeline/x.test.ts");
    const unknown = affectedFromChanges(catalog, "main", ["Makefile"], []);
    expect(unknown.scope).toBe("all");
    expect(unknown.services[0]?.reason).toBe("unclassified file Makefile changed");
    for (const file of [
      "dagger/src/index.ts",
      ".github/workflows/ci.yml",
      "tsconfig.base.json",
      "pipeline/cli.ts",
    ]) {
      expect(affectedFromChanges(catalog, "main", [file], []).scope).toBe("all");
    }
  });

  it("says when everything is affected, and why the tooling tests run", () => {
    const result = affectedFromChanges(catalog, "main", ["pnpm-lock.yaml"], []);
    const lines = renderAffected(result).split("\n");
    expect(lines[0]).toBe("affected since main (everything):");
    expect(lines).toContain("  (pipeline tooling tests: global file pnpm-lock.yaml changed)");
    expect(renderAffected({ ...result, scope: "none", changedFiles: [] })).toBe(
      "nothing affected since main (no changes)",
    );
  });

  it("says when nothing is affected", () => {
    const result = affectedFromChanges(catalog, "main", ["docs/a.md"], []);
    expect(renderAffected(result)).toBe("nothing affected since main (only documentation changed)");
  });
});
