import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { CORRUPTIONS } from "@workers/host-state/testing";
import { describe, expect, it } from "vitest";
import type { RunResult, Step } from "#core";
import { STEP_DURATIONS_FILE, saveStepDurations } from "../../../pipeline/host/step-durations.js";
import { runStepsCommand } from "../../../pipeline/run-steps-command.js";
import { tempDir } from "../../helpers/fixture-repo.js";

/** A step that appends its id to order.log as it starts (with one slot: the launch order). */
function loggedStep(id: string, needs: string[] = [], exitCode = 0): Step {
  return {
    id,
    title: id,
    kind: "command",
    command: [
      process.execPath,
      "-e",
      `require("node:fs").appendFileSync("order.log", "${id}\\n"); process.exit(${exitCode});`,
    ],
    needs,
    inputs: [],
  };
}

const GRAPH = [
  loggedStep("setup"),
  loggedStep("short", ["setup"]),
  loggedStep("long-head", ["setup"]),
  loggedStep("long-tail", ["long-head"]),
];

async function run(repoRoot: string, steps: Step[]) {
  const stderr: string[] = [];
  const exitCode = await runStepsCommand(
    "pipeline test",
    steps,
    repoRoot,
    // In the checkout: the steps record their launch order in a file there.
    { concurrency: "1", "keep-going": true, "no-sandbox": true },
    { cwd: repoRoot, env: {}, stdout: () => {}, stderr: (text) => stderr.push(text) },
  );
  const order = (await readFile(join(repoRoot, "order.log"), "utf8")).trim().split("\n");
  return { exitCode, stderr: stderr.join("\n"), order };
}

const historyFile = (repoRoot: string) => join(repoRoot, STEP_DURATIONS_FILE);

async function writeHistory(repoRoot: string, text: string): Promise<void> {
  await mkdir(join(repoRoot, ".pipeline"), { recursive: true });
  await writeFile(historyFile(repoRoot), text);
}

const readHistory = async (repoRoot: string) =>
  JSON.parse(await readFile(historyFile(repoRoot), "utf8"));

const entry = (step: Step | undefined, durationMs: number) => ({
  command: step?.command,
  durationMs,
});

describe("step duration history on the host", () => {
  it("records the passed command steps of a run, keeping earlier entries", async () => {
    const repo = await tempDir();
    await writeHistory(repo, JSON.stringify({ lint: { command: ["biome"], durationMs: 700 } }));
    const steps = [...GRAPH, loggedStep("broken", ["setup"], 3)];
    const result = await run(repo, steps);
    expect(result.exitCode).toBe(1);
    const history = await readHistory(repo);
    expect(Object.keys(history).sort()).toEqual([
      "lint",
      "long-head",
      "long-tail",
      "setup",
      "short",
    ]);
    expect(history.short.command).toEqual(steps[1]?.command);
    expect(history.short.durationMs).toBeGreaterThan(0);
    expect(history.lint).toEqual({ command: ["biome"], durationMs: 700 });
  });

  it("keeps what a step took when it ran, not the moment its replay from the cache took", async () => {
    const repo = await tempDir();
    await writeHistory(repo, JSON.stringify({ short: entry(GRAPH[1], 5_000) }));
    const short = (cached: boolean, durationMs: number): RunResult => ({
      exitCode: 0,
      durationMs,
      concurrency: 1,
      steps: [{ id: "short", title: "short", status: "passed", cached, durationMs, logTail: "" }],
    });
    await saveStepDurations(repo, GRAPH, short(true, 3));
    expect(await readHistory(repo)).toEqual({ short: entry(GRAPH[1], 5_000) });
    await saveStepDurations(repo, GRAPH, short(false, 4_000));
    expect(await readHistory(repo)).toEqual({ short: entry(GRAPH[1], 4_000) });
  });

  it("feeds recorded durations to the scheduler: the slowest chain starts first", async () => {
    const repo = await tempDir();
    await writeHistory(
      repo,
      JSON.stringify({
        setup: entry(GRAPH[0], 1),
        short: entry(GRAPH[1], 50),
        "long-head": entry(GRAPH[2], 5),
        "long-tail": entry(GRAPH[3], 100),
      }),
    );
    const result = await run(repo, GRAPH);
    expect(result).toEqual({
      exitCode: 0,
      stderr: "",
      order: ["setup", "long-head", "long-tail", "short"],
    });
  });

  it("ignores a duration recorded for a different command under the same step id", async () => {
    const repo = await tempDir();
    await writeHistory(
      repo,
      JSON.stringify({
        short: entry(GRAPH[1], 50),
        "long-tail": { command: ["pnpm", "run", "something-else"], durationMs: 100 },
      }),
    );
    expect((await run(repo, GRAPH)).order).toEqual(["setup", "short", "long-head", "long-tail"]);
  });

  it.each(CORRUPTIONS)(
    "runs without durations when the history is %s and no good copy exists, says why in one line, then replaces it",
    async (_, damage, detail) => {
      const repo = await tempDir();
      await writeHistory(repo, damage(JSON.stringify({ short: entry(GRAPH[1], 50) })));
      const result = await run(repo, GRAPH);
      expect(result.exitCode).toBe(0);
      expect(result.order).toEqual(["setup", "short", "long-head", "long-tail"]);
      expect(result.stderr).not.toContain("\n");
      expect(result.stderr.startsWith(`[pipeline] ${historyFile(repo)} is corrupt (`)).toBe(true);
      expect(result.stderr).toMatch(detail);
      expect(result.stderr.endsWith("): scheduling without durations")).toBe(true);
      expect(Object.keys(await readHistory(repo)).sort()).toEqual([
        "long-head",
        "long-tail",
        "setup",
        "short",
      ]);
    },
  );

  it.each(CORRUPTIONS)(
    "schedules with the last good copy when the history is %s, and keeps it",
    async (_, damage) => {
      const repo = await tempDir();
      const durations = {
        setup: entry(GRAPH[0], 1),
        short: entry(GRAPH[1], 50),
        "long-head": entry(GRAPH[2], 5),
        "long-tail": entry(GRAPH[3], 100),
      };
      // A save keeps the history it replaces as the backup.
      await writeHistory(repo, JSON.stringify(durations));
      await run(repo, [loggedStep("unrelated")]);
      await rm(join(repo, "order.log"));
      await writeFile(historyFile(repo), damage(await readFile(historyFile(repo), "utf8")));
      const result = await run(repo, GRAPH);
      expect(result.order).toEqual(["setup", "long-head", "long-tail", "short"]);
      expect(result.stderr).toMatch(
        /^\[pipeline\] \S+ is corrupt \([^\n]+\): scheduling with step-durations\.json\.bak$/,
      );
      // The good copy is still there, and the rewritten history starts from it.
      const backup = JSON.parse(await readFile(`${historyFile(repo)}.bak`, "utf8"));
      expect(backup).toEqual(durations);
      expect(Object.keys(await readHistory(repo)).sort()).toEqual(Object.keys(durations).sort());
    },
  );

  it("runs without a history file and creates one", async () => {
    const repo = await tempDir();
    const result = await run(repo, GRAPH);
    expect(result).toEqual({
      exitCode: 0,
      stderr: "",
      order: ["setup", "short", "long-head", "long-tail"],
    });
    expect(Object.keys(await readHistory(repo))).toHaveLength(4);
  });
});

describe("host runs", () => {
  it("run one step more than there are cores unless --concurrency says otherwise", async () => {
    const repo = await tempDir();
    const report = async (flags: { concurrency?: string }) => {
      await runStepsCommand(
        "pipeline test",
        [loggedStep("only")],
        repo,
        { ...flags, json: "report.json" },
        { cwd: repo, env: {}, stdout: () => {}, stderr: () => {} },
      );
      return JSON.parse(await readFile(join(repo, "report.json"), "utf8")) as {
        concurrency: number;
      };
    };
    expect((await report({})).concurrency).toBe(availableParallelism() + 1);
    expect((await report({ concurrency: "1" })).concurrency).toBe(1);
  });
});
