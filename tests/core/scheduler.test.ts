import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CoverageMap,
  type RunEvent,
  runSteps,
  type Step,
  type StepExecutor,
  StepGraphError,
} from "#core";
import { execaExecutor } from "../../pipeline/host/execa-executor.js";
import { coverageMap } from "../helpers/coverage-maps.js";
import { tempDir } from "../helpers/fixture-repo.js";

/** A step running a Node script (the Node that runs these tests) in the work directory. */
function nodeStep(id: string, needs: string[], script: string): Step {
  return {
    id,
    title: id,
    kind: "command",
    command: [process.execPath, "-e", script],
    needs,
    inputs: [],
  };
}

/** Waits for a file to appear, failing the process after 20s so a broken scheduler cannot hang. */
const waitFor = (file: string) => `
  const fs = require("node:fs");
  const deadline = Date.now() + 20000;
  while (!fs.existsSync(${JSON.stringify(file)})) {
    if (Date.now() > deadline) { console.error("gave up waiting for ${file}"); process.exit(9); }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }`;
const touch = (file: string) => `require("node:fs").writeFileSync(${JSON.stringify(file)}, "");`;

/** Wraps an executor to record how many steps were executing at once. */
function countingExecutor(inner: StepExecutor) {
  let running = 0;
  const observed = { max: 0 };
  const executor: StepExecutor = {
    async execute(step, io) {
      running += 1;
      observed.max = Math.max(observed.max, running);
      try {
        return await inner.execute(step, io);
      } finally {
        running -= 1;
      }
    },
  };
  return { executor, observed };
}

describe("runSteps with real processes", () => {
  it("runs a step only after everything it needs has passed", async () => {
    const dir = await tempDir();
    const steps = [
      nodeStep(
        "report",
        ["build-a", "build-b"],
        `
        const fs = require("node:fs");
        if (!fs.existsSync("a") || !fs.existsSync("b")) { console.error("inputs missing"); process.exit(1); }
        fs.writeFileSync("report", "ok");`,
      ),
      nodeStep("build-a", [], touch("a")),
      nodeStep("build-b", [], touch("b")),
    ];
    const run = await runSteps(steps, execaExecutor(dir), { concurrency: 2 });
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ["report", "passed"],
      ["build-a", "passed"],
      ["build-b", "passed"],
    ]);
    expect(existsSync(join(dir, "report"))).toBe(true);
    const [report, a, b] = run.steps;
    expect(report?.startedAt).toBeGreaterThanOrEqual((a?.startedAt ?? 0) + (a?.durationMs ?? 0));
    expect(report?.startedAt).toBeGreaterThanOrEqual((b?.startedAt ?? 0) + (b?.durationMs ?? 0));
    expect(run.exitCode).toBe(0);
  });

  it("runs independent steps in parallel, never more than the concurrency", async () => {
    const dir = await tempDir();
    // Each pair only finishes when both partners are running at the same time.
    const pair = (id: string, partner: string) =>
      nodeStep(id, [], `${touch(join(dir, id))}${waitFor(join(dir, partner))}`);
    const steps = [pair("a1", "a2"), pair("a2", "a1"), pair("b1", "b2"), pair("b2", "b1")];
    const { executor, observed } = countingExecutor(execaExecutor(dir));
    const run = await runSteps(steps, executor, { concurrency: 2 });
    expect(run.steps.map((step) => step.status)).toEqual(["passed", "passed", "passed", "passed"]);
    expect(observed.max).toBe(2);
    expect(run.concurrency).toBe(2);
  });

  it("stops launching after a failure, lets running steps finish and reports the rest", async () => {
    const dir = await tempDir();
    const release = join(dir, "release");
    const steps = [
      nodeStep(
        "broken",
        [],
        `console.log("line 1"); console.error("boom: assertion failed"); process.exit(3);`,
      ),
      // Still running when `broken` fails: it finishes only once the scheduler has seen the failure.
      nodeStep("running", [], `${waitFor(release)}${touch(join(dir, "running-finished"))}`),
      nodeStep("after-broken", ["broken"], touch(join(dir, "after-broken"))),
      nodeStep("independent", [], touch(join(dir, "independent"))),
    ];
    const events: string[] = [];
    const onEvent = (event: RunEvent) => {
      if (event.type === "end") {
        events.push(`${event.step.id}:${event.result.status}`);
        if (event.step.id === "broken") {
          writeFileSync(release, "");
        }
      }
    };
    const run = await runSteps(steps, execaExecutor(dir), { concurrency: 2, onEvent });
    const byId = Object.fromEntries(run.steps.map((step) => [step.id, step]));
    expect(byId.broken?.status).toBe("failed");
    expect(byId.broken?.exitCode).toBe(3);
    expect(byId.broken?.logTail).toContain("boom: assertion failed");
    expect(byId.running?.status).toBe("passed");
    expect(byId["after-broken"]?.status).toBe("skipped");
    expect(byId.independent?.status).toBe("cancelled");
    expect(existsSync(join(dir, "independent"))).toBe(false);
    expect(existsSync(join(dir, "after-broken"))).toBe(false);
    expect(events).toContain("running:passed");
    expect(run.exitCode).toBe(1);
  });

  it("with keepGoing runs everything it still can and skips only the dependents of failures", async () => {
    const dir = await tempDir();
    const steps = [
      nodeStep("broken", [], "process.exit(1);"),
      nodeStep("after-broken", ["broken"], touch(join(dir, "after-broken"))),
      nodeStep("after-after", ["after-broken"], touch(join(dir, "after-after"))),
      nodeStep("independent", [], touch(join(dir, "independent"))),
      nodeStep("after-independent", ["independent"], touch(join(dir, "after-independent"))),
    ];
    const run = await runSteps(steps, execaExecutor(dir), { concurrency: 1, keepGoing: true });
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ["broken", "failed"],
      ["after-broken", "skipped"],
      ["after-after", "skipped"],
      ["independent", "passed"],
      ["after-independent", "passed"],
    ]);
    expect(run.steps[1]?.reason).toBe("needs broken, which failed");
    expect(existsSync(join(dir, "after-independent"))).toBe(true);
    expect(run.exitCode).toBe(1);
  });

  it("judges each subject on the merged coverage maps of the steps that measure it", async () => {
    const dir = await tempDir();
    const file = join(dir, "src/a.ts");
    // Two suites, each running half of the same file: 50% apiece, 100% together.
    const halves = [
      coverageMap({ [file]: { statements: [1, 0], functions: [1, 0], branches: [[1, 0]] } }),
      coverageMap({ [file]: { statements: [0, 3], functions: [0, 2], branches: [[0, 1]] } }),
    ];
    const weak = coverageMap({
      [join(dir, "src/weak.ts")]: {
        statements: [1, 1, 1, 1, 1],
        branches: [
          [1, 0],
          [1, 1],
        ],
      },
    });
    const testStep = (id: string, subject: string, map: CoverageMap | undefined): Step => ({
      ...nodeStep(
        id,
        [],
        map === undefined
          ? "process.exit(0);"
          : `const fs = require("node:fs"); fs.mkdirSync(${JSON.stringify(id)}, { recursive: true }); fs.writeFileSync(${JSON.stringify(`${id}/coverage-final.json`)}, ${JSON.stringify(JSON.stringify(map))});`,
      ),
      coverageSubject: subject,
      coverageMap: `${id}/coverage-final.json`,
    });
    const steps: Step[] = [
      testStep("suite-a", "pipeline", halves[0]),
      testStep("weak", "weak", weak),
      testStep("suite-b", "pipeline", halves[1]),
      testStep("silent", "silent", undefined),
      {
        id: "coverage",
        title: "coverage gate",
        kind: "coverage-gate",
        needs: ["suite-a", "weak", "suite-b", "silent"],
        inputs: [],
        coverageThreshold: 80,
      },
    ];
    const run = await runSteps(steps, execaExecutor(dir), { concurrency: 2 });
    const gate = run.steps.find((step) => step.id === "coverage");
    expect(gate?.status).toBe("failed");
    expect(gate?.logTail.split("\n")).toEqual([
      "weak: branches 75% < 80%",
      "silent: no coverage map at silent/coverage-final.json",
    ]);
    expect(gate?.coverageReport?.map((entry) => [entry.subject, entry.passed])).toEqual([
      ["pipeline", true],
      ["weak", false],
      ["silent", false],
    ]);
    const full = { lines: 100, branches: 100, functions: 100, statements: 100 };
    expect(gate?.coverageReport?.[0]).toMatchObject({
      mapPaths: ["suite-a/coverage-final.json", "suite-b/coverage-final.json"],
      coverage: full,
    });
    // Each step's own totals are its share: half of the file.
    const half = { lines: 50, branches: 50, functions: 50, statements: 50 };
    expect(run.steps[0]?.coverage).toEqual(half);
    expect(run.steps[2]?.coverage).toEqual(half);
  });

  it("fails the gate when one of a subject's steps wrote no map, however good the others", async () => {
    const dir = await tempDir();
    const full = coverageMap({ [join(dir, "a.ts")]: { statements: [1] } });
    const steps: Step[] = [
      {
        ...nodeStep(
          "suite-a",
          [],
          `const fs = require("node:fs"); fs.mkdirSync("a"); fs.writeFileSync("a/map.json", ${JSON.stringify(JSON.stringify(full))});`,
        ),
        coverageSubject: "pipeline",
        coverageMap: "a/map.json",
      },
      {
        ...nodeStep("suite-b", [], "process.exit(0);"),
        coverageSubject: "pipeline",
        coverageMap: "b/map.json",
      },
      {
        id: "coverage",
        title: "coverage gate",
        kind: "coverage-gate",
        needs: ["suite-a", "suite-b"],
        inputs: [],
        coverageThreshold: 80,
      },
    ];
    const run = await runSteps(steps, execaExecutor(dir), { concurrency: 2 });
    expect(run.steps.find((step) => step.id === "coverage")?.logTail).toBe(
      "pipeline: no coverage map at b/map.json",
    );
  });

  describe("with expected durations", () => {
    // Each step appends its id to a log as it starts; with one slot the log is the launch order.
    const logged = (dir: string, id: string, needs: string[] = []) =>
      nodeStep(
        id,
        needs,
        `require("node:fs").appendFileSync(${JSON.stringify(join(dir, "order.log"))}, "${id}\\n");`,
      );
    const launchOrder = async (dir: string) =>
      (await readFile(join(dir, "order.log"), "utf8")).trim().split("\n");
    const graph = (dir: string) => [
      logged(dir, "setup"),
      logged(dir, "short-a", ["setup"]),
      logged(dir, "short-b", ["setup"]),
      logged(dir, "long-head", ["setup"]),
      logged(dir, "long-tail", ["long-head"]),
    ];
    // long-head is quick itself but heads the slowest chain (5 + 100 ms), so it goes first.
    const expectedDurations = {
      setup: 1,
      "short-a": 10,
      "short-b": 20,
      "long-head": 5,
      "long-tail": 100,
    };

    it("launches the ready step with the longest remaining path first", async () => {
      const dir = await tempDir();
      const run = await runSteps(graph(dir), execaExecutor(dir), {
        concurrency: 1,
        expectedDurations,
      });
      expect(run.exitCode).toBe(0);
      expect(await launchOrder(dir)).toEqual([
        "setup",
        "long-head",
        "long-tail",
        "short-b",
        "short-a",
      ]);
    });

    it("keeps declaration order without history, and for steps with no known duration", async () => {
      const dir = await tempDir();
      await runSteps(graph(dir), execaExecutor(dir), { concurrency: 1 });
      expect(await launchOrder(dir)).toEqual([
        "setup",
        "short-a",
        "short-b",
        "long-head",
        "long-tail",
      ]);
      const partial = await tempDir();
      await runSteps(graph(partial), execaExecutor(partial), {
        concurrency: 1,
        expectedDurations: { "short-b": 20 },
      });
      expect(await launchOrder(partial)).toEqual([
        "setup",
        "short-b",
        "short-a",
        "long-head",
        "long-tail",
      ]);
    });

    it("without history, starts the steps not tied to a service before the services' own", async () => {
      const dir = await tempDir();
      const perService = (step: Step): Step => ({ ...step, service: step.id });
      await runSteps(
        [
          logged(dir, "setup"),
          perService(logged(dir, "unit-a", ["setup"])),
          logged(dir, "suite", ["setup"]),
          perService(logged(dir, "unit-b", ["setup"])),
          logged(dir, "integration", ["setup"]),
        ],
        execaExecutor(dir),
        { concurrency: 1 },
      );
      expect(await launchOrder(dir)).toEqual(["setup", "suite", "integration", "unit-a", "unit-b"]);
    });

    it("still stops launching when the first-ranked step fails", async () => {
      const dir = await tempDir();
      const steps = graph(dir).map((step) =>
        step.id === "long-head" ? nodeStep("long-head", ["setup"], "process.exit(4);") : step,
      );
      const run = await runSteps(steps, execaExecutor(dir), { concurrency: 1, expectedDurations });
      expect(run.steps.map((step) => [step.id, step.status])).toEqual([
        ["setup", "passed"],
        ["short-a", "cancelled"],
        ["short-b", "cancelled"],
        ["long-head", "failed"],
        ["long-tail", "skipped"],
      ]);
      expect(await launchOrder(dir)).toEqual(["setup"]);
    });
  });

  it("rejects a step graph with a cycle or an unknown need before running anything", async () => {
    const dir = await tempDir();
    const cyclic = [nodeStep("a", ["b"], touch(join(dir, "a"))), nodeStep("b", ["a"], "")];
    await expect(runSteps(cyclic, execaExecutor(dir))).rejects.toThrow(
      new StepGraphError("step graph has a cycle: a -> b -> a"),
    );
    await expect(runSteps([nodeStep("a", ["ghost"], "")], execaExecutor(dir))).rejects.toThrow(
      'step "a" needs unknown step "ghost"',
    );
    await expect(
      runSteps(
        [nodeStep("a", [], touch(join(dir, "a"))), nodeStep("a", [], "")],
        execaExecutor(dir),
      ),
    ).rejects.toThrow('duplicate step id "a"');
    expect(existsSync(join(dir, "a"))).toBe(false);
  });

  it("fails a step whose executor throws, with the reason, and skips what needs it", async () => {
    const throwing: StepExecutor = {
      async execute(step) {
        if (step.id === "engine") throw new Error("connection to the engine lost");
        throw "a bare string";
      },
    };
    const run = await runSteps(
      [nodeStep("engine", [], ""), nodeStep("other", [], ""), nodeStep("after", ["engine"], "")],
      throwing,
      { concurrency: 2, keepGoing: true },
    );
    expect(run.steps.map((step) => [step.id, step.status, step.logTail])).toEqual([
      ["engine", "failed", "the step could not run: connection to the engine lost"],
      ["other", "failed", "the step could not run: a bare string"],
      ["after", "skipped", ""],
    ]);
  });
});

describe("the host executor", () => {
  it("fails a step whose program does not exist, saying why", async () => {
    const dir = await tempDir();
    const step: Step = { ...nodeStep("ghost", [], ""), command: ["no-such-program-x1"] };
    const outcome = await execaExecutor(dir).execute(step, { onOutput: () => {} });
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.logTail).toMatch(/no-such-program-x1.*ENOENT/);
  });

  it("refuses a step without a command", async () => {
    const { command: _none, ...step } = nodeStep("gate", [], "");
    await expect(
      execaExecutor(await tempDir()).execute(step, { onOutput: () => {} }),
    ).rejects.toThrow("step gate has no command");
  });

  it("ignores a coverage map left by an earlier run, and says so", async () => {
    const dir = await tempDir();
    const old = join(dir, "old.json");
    writeFileSync(old, JSON.stringify(coverageMap({ "/a.ts": { statements: [1] } })));
    utimesSync(old, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const outcome = await execaExecutor(dir).execute(
      { ...nodeStep("t", [], ""), coverageSubject: "t", coverageMap: "old.json" },
      { onOutput: () => {} },
    );
    expect(outcome.coverageMap).toBeUndefined();
    expect(outcome.logTail).toContain(`[pipeline] ${old} predates this run; ignoring it`);
  });

  it("reports an unreadable coverage map instead of passing it on", async () => {
    const dir = await tempDir();
    const outcome = await execaExecutor(dir).execute(
      {
        ...nodeStep("t", [], touch(join(dir, "broken.json"))),
        coverageSubject: "t",
        coverageMap: "broken.json",
      },
      { onOutput: () => {} },
    );
    expect(outcome.coverageMap).toBeUndefined();
    expect(outcome.logTail).toContain(
      `[pipeline] unreadable coverage map ${join(dir, "broken.json")}`,
    );
  });
});
