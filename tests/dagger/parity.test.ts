import { execFileSync } from "node:child_process";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepExecutor } from "#core";
import {
  ModulePipeline,
  type PipelinePorts,
  StepsFailedError,
} from "../../dagger/src/runner/module-pipeline.js";
import type { StepContainers } from "../../dagger/src/runner/step-containers.js";
import { WORKDIR } from "../../dagger/src/runner/toolchain.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { runCli } from "../../pipeline/run-cli.js";
import { FULL_COVERAGE_MAP } from "../helpers/coverage-maps.js";
import { TOOLING_SUITES } from "../tooling-suites.js";
import { execsOf } from "./helpers/container-graph-rules.js";
import { gatewayChangeRepo } from "./helpers/repo-fixture.js";
import { operationsOf } from "./helpers/sdk-internals.js";

/**
 * `pnpm pipeline ci` and `dagger call ci` on the same clone must run the same steps with the same
 * commands. The host side is the real CLI command with a stand-in `pnpm` on PATH that records
 * each command line (and writes a coverage map, as vitest would). The Dagger side is the
 * module's pipeline with the host's reader and probe, whose executor records what each step's
 * container would exec instead of asking an engine.
 */

const COVERAGE_JSON = JSON.stringify(FULL_COVERAGE_MAP);

let scratch: string;
let clone: string;
let record: string;
const originalPath = process.env.PATH;

beforeAll(async () => {
  ({ scratch, repo: clone } = await gatewayChangeRepo());
  record = join(scratch, "pnpm-calls.txt");

  const bin = join(scratch, "bin");
  const realPnpm = execFileSync("sh", ["-c", "command -v pnpm"]).toString().trim();
  await mkdir(bin);
  await writeFile(
    join(bin, "pnpm"),
    [
      "#!/bin/sh",
      // Affected detection asks pnpm for real.
      `if [ "$1" = "list" ]; then exec "${realPnpm}" "$@"; fi`,
      `printf '%s\\tpnpm %s\\n' "$PWD" "$*" >> "${record}"`,
      'if [ "$1" = "--filter" ] && [ "$4" = "test" ]; then',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      '  dir="services/${2#@workers/}"',
      `  if [ -d "$dir" ]; then mkdir -p "$dir/coverage"; printf '%s' '${COVERAGE_JSON}' > "$dir/coverage/coverage-final.json"; fi`,
      "fi",
      // A tooling suite: `pnpm run test:tooling --project <suite> ... --coverage.reportsDirectory=<dir>`.
      'if [ "$2" = "test:tooling" ]; then',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      '  dir="${6#--coverage.reportsDirectory=}"',
      `  mkdir -p "$dir"; printf '%s' '${COVERAGE_JSON}' > "$dir/coverage-final.json"`,
      "fi",
      "",
    ].join("\n"),
  );
  await chmod(join(bin, "pnpm"), 0o755);
  process.env.PATH = `${bin}:${originalPath}`;
});

afterAll(async () => {
  process.env.PATH = originalPath;
  await rm(scratch, { recursive: true, force: true });
});

interface Executed {
  /** Step ids in the order the scheduler started them. */
  started: string[];
  /** "cwd<TAB>argv" per command run, sorted. */
  commands: string[];
}

async function runHostCi(args: string[]): Promise<Executed> {
  await rm(record, { force: true });
  const stdout: string[] = [];
  // Without the cache: a step replayed from an earlier test would record no command.
  const exitCode = await runCli(["ci", "--no-cache", ...args], {
    cwd: clone,
    env: {},
    stdout: (text) => stdout.push(text),
    stderr: (text) => stdout.push(text),
  });
  expect(exitCode, stdout.join("\n")).toBe(0);
  const lines = (await readFile(record, "utf8").catch(() => "")).split("\n").filter(Boolean);
  return {
    started: startedSteps(stdout),
    // Steps run in sandboxes, the host's stand-in for the container's workdir.
    commands: lines
      .map((line) =>
        line.replace(clone, "<repo>").replace(/^[^\t]*\/pipeline-sandbox-[^/\t]+/, "<repo>"),
      )
      .sort(),
  };
}

/** The module's pipeline on the same clone; containers are built but never run. */
async function runDaggerCi(
  base: string | undefined,
  tamper: (containers: StepContainers) => StepContainers = (containers) => containers,
): Promise<Executed> {
  const log: string[] = [];
  const commands: string[] = [];
  const ports: PipelinePorts = {
    reader: fsRepoReader(clone),
    changeProbe: () => gitChangeProbe(clone),
    executor: (containers): StepExecutor => ({
      async execute(step) {
        const ops = operationsOf(tamper(containers).afterStep(step));
        const workdir = ops.filter((op) => op.operation === "withWorkdir").at(-1)?.args.path;
        commands.push(
          `${workdir === WORKDIR ? "<repo>" : workdir}\t${execsOf(ops).at(-1)?.join(" ")}`,
        );
        return {
          exitCode: 0,
          logTail: "",
          ...(step.coverageMap ? { coverageMap: FULL_COVERAGE_MAP } : {}),
        };
      },
    }),
    log: (line) => log.push(line),
  };
  await new ModulePipeline(dag.host().directory(clone), ports).ci(base);
  return { started: startedSteps(log), commands: commands.sort() };
}

function startedSteps(lines: string[]): string[] {
  return lines.flatMap((line) => line.match(/^> (\S+) started:/)?.[1] ?? []).sort();
}

describe("dagger call ci and pnpm pipeline ci run the same steps with the same commands", () => {
  it("for the whole graph", async () => {
    const host = await runHostCi([]);
    expect(host.started).toContain("test:db");
    expect(host.commands).toContain("<repo>\tpnpm install --frozen-lockfile");
    expect(await runDaggerCi(undefined)).toEqual(host);
  });

  it("for --base after a change to one service", async () => {
    const host = await runHostCi(["--base", "HEAD~1"]);
    expect(host.started).toContain("test:gateway");
    expect(host.started).not.toContain("test:db");
    expect(await runDaggerCi("HEAD~1")).toEqual(host);
  });
});

describe("the parity check catches a runner that drifts", () => {
  it("a Dagger runner running its own copy of the test command", async () => {
    const host = await runHostCi([]);
    const drifted = await runDaggerCi(undefined, (containers) => ({
      ...containers,
      afterStep: (step) =>
        step.service ? containers.workspace.withExec(["pnpm", "test"]) : containers.afterStep(step),
    }));
    expect(drifted.started).toEqual(host.started);
    expect(drifted.commands).not.toEqual(host.commands);
    expect(drifted.commands).toContain("<repo>\tpnpm test");
  });

  it("a failing step stops dagger call ci with that step's name", async () => {
    const failing: PipelinePorts = {
      reader: fsRepoReader(clone),
      changeProbe: () => gitChangeProbe(clone),
      executor: () => ({
        async execute(step) {
          return step.id === "lint"
            ? { exitCode: 1, logTail: "lint error: format differs" }
            : {
                exitCode: 0,
                logTail: "",
                ...(step.coverageMap ? { coverageMap: FULL_COVERAGE_MAP } : {}),
              };
        },
      }),
      log: () => {},
    };
    const error = await new ModulePipeline(dag.host().directory(clone), failing)
      .ci()
      .catch((e) => e);
    expect(error).toBeInstanceOf(StepsFailedError);
    expect(error.message).toMatch(/FAILED: lint \(exit code 1\)[\s\S]*lint error: format differs/);
  });
});

describe("the tooling check (dagger check's tooling)", () => {
  it("runs every tooling suite through the scheduler and returns the workspace with their coverage", async () => {
    const ran: string[] = [];
    const ports: PipelinePorts = {
      reader: fsRepoReader(clone),
      changeProbe: () => gitChangeProbe(clone),
      executor: () => ({
        async execute(step) {
          ran.push(step.id);
          return {
            exitCode: 0,
            logTail: "",
            ...(step.coverageMap ? { coverageMap: FULL_COVERAGE_MAP } : {}),
          };
        },
      }),
      log: () => {},
    };
    const workspace = await new ModulePipeline(dag.host().directory(clone), ports).part("tooling");
    const suites = TOOLING_SUITES.map((suite) => suite.name);
    expect(ran.sort()).toEqual(["install", ...suites.map((suite) => `tooling:${suite}`)].sort());
    const copied = operationsOf(workspace)
      .filter((op) => op.operation === "withDirectory")
      .map((op) => op.args.path);
    expect(copied).toEqual(
      expect.arrayContaining(suites.map((suite) => `${WORKDIR}/coverage/tooling/${suite}`)),
    );
  });
});
