import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessRunning } from "@workers/host-state";
import { afterEach, describe, expect, it } from "vitest";
import { git, tempDir } from "../../helpers/fixture-repo.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { PipelineProcess } from "../../helpers/pipeline-process.js";
import { tinyCiRepo } from "../../helpers/tiny-ci-repo.js";

// A real `pnpm run pipeline ci` on a small workspace whose api test starts a process that
// would live forever, in a session of its own (as a detached server or workerd does), then
// either hangs or passes. Whatever ends the run, that process must end with it.

/** api's test: leaks a detached process, writes its pid, then hangs (LEAK_HANG=1) or passes. */
const LEAKING_TEST = `import { spawn } from "node:child_process";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
const leaked = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], {
  detached: true,
  stdio: "ignore",
});
leaked.unref();
writeFileSync(process.env.LEAK_PID_FILE, String(leaked.pid));
if (process.env.LEAK_HANG === "1") {
  setInterval(() => {}, 1e9);
} else {
  mkdirSync("coverage", { recursive: true });
  cpSync("coverage-map.json", "coverage/coverage-final.json");
  console.log("3 tests passed");
}
`;

let running: PipelineProcess | undefined;
let leakedPid: number | undefined;

afterEach(async () => {
  // A failed test must not leave its leak behind either.
  if (leakedPid !== undefined && isProcessRunning(leakedPid, undefined))
    process.kill(leakedPid, "SIGKILL");
  leakedPid = undefined;
  await running?.dispose();
  running = undefined;
});

async function startLeakingCi(hang: boolean): Promise<{ ci: PipelineProcess; pidFile: string }> {
  const repo = await tinyCiRepo();
  await writeFile(join(repo, "services/api/test.mjs"), LEAKING_TEST);
  await git(repo, "commit", "--quiet", "--all", "-m", "api's test leaks a process");
  const pidFile = join(await tempDir("leak-"), "pid");
  running = new PipelineProcess(REPO_ROOT, ["ci", "--repo", repo], {
    LEAK_PID_FILE: pidFile,
    ...(hang ? { LEAK_HANG: "1" } : {}),
  });
  return { ci: running, pidFile };
}

/** The leaked process's pid, once api's test has written it (install and typecheck come first). */
async function leaked(pidFile: string, ci: PipelineProcess): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const text = await readFile(pidFile, "utf8").catch(() => "");
    if (/^\d+$/.test(text)) {
      leakedPid = Number(text);
      return leakedPid;
    }
    await Promise.race([sleep(50), ci.exited]);
  }
  throw new Error(`api's test never wrote ${pidFile}`);
}

/** Whether `pid` is gone within the deadline (the run's grace before SIGKILL is 5 s). */
async function endsWithin(pid: number, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessRunning(pid, undefined)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

describe("a ci run's processes end with it", () => {
  it.each([
    { how: "kill (SIGTERM to pnpm)", signal: "SIGTERM", group: false, status: 143 },
    {
      how: "Ctrl-C (SIGINT to the job's process group)",
      signal: "SIGINT",
      group: true,
      status: 130,
    },
  ] as const)(
    "$how: the run names what it interrupts, ends its steps and what they started, exits $status",
    async ({ signal, group, status }) => {
      const { ci, pidFile } = await startLeakingCi(true);
      const pid = await leaked(pidFile, ci);
      expect(isProcessRunning(pid, undefined)).toBe(true);
      if (group) ci.killGroup(signal);
      else ci.kill(signal);
      const exit = await ci.exited;
      expect(exit.status, exit.stdout + exit.stderr).toBe(status);
      expect(exit.stderr).toMatch(
        new RegExp(
          `^${signal}: pipeline ci interrupted; ending \\d+ running steps? \\([^)]*test:api[^)]*\\) and every process`,
          "m",
        ),
      );
      expect(await endsWithin(pid)).toBe(true);
    },
    180_000,
  );

  it("SIGKILL: the watchdog ends what the run started once the run's process is gone", async () => {
    const { ci, pidFile } = await startLeakingCi(true);
    const pid = await leaked(pidFile, ci);
    expect(isProcessRunning(pid, undefined)).toBe(true);
    // What a kill -9 of the job does: pnpm and the pipeline's node, no handler runs.
    ci.killGroup("SIGKILL");
    const exit = await ci.exited;
    expect(exit.status).toBe(137);
    expect(await endsWithin(pid)).toBe(true);
  }, 180_000);

  it("a run that passes ends the process a test leaked, and says so", async () => {
    const { ci, pidFile } = await startLeakingCi(false);
    const exit = await ci.exited;
    expect(exit.status, exit.stdout + exit.stderr).toBe(0);
    const pid = Number(await readFile(pidFile, "utf8"));
    leakedPid = pid;
    expect(exit.stderr).toContain(`ended 1 process the steps left running: pid ${pid} (`);
    expect(await endsWithin(pid)).toBe(true);
  }, 180_000);
});
