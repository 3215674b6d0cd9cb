import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessRunning } from "@workers/host-state";
import { afterEach, describe, expect, it } from "vitest";
import { runPipeline } from "../../helpers/in-process-cli.js";
import { REPO_ROOT } from "../../helpers/paths.js";

const repoRoot = REPO_ROOT;

function pipeline(args: string[]) {
  return runPipeline(args, { cwd: repoRoot, env: process.env });
}

describe("pnpm pipeline local start|stop|status", () => {
  // Each test gets a state directory of its own, stopped and removed after it.
  const stateDirs: string[] = [];
  async function freshStateDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "local-cloud-cli-"));
    stateDirs.push(dir);
    return dir;
  }

  afterEach(async () => {
    for (const dir of stateDirs.splice(0)) {
      await pipeline(["local", "stop", "--state-dir", dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects a missing or unknown action, listing the valid ones", async () => {
    const missing = await pipeline(["local"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(
      "pipeline local: missing action; valid actions: start, stop, status",
    );
    const unknown = await pipeline(["local", "restart"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown action "restart" (did you mean start?); valid actions: start, stop, status',
    );
  });

  it("rejects a bad port or an unknown option without starting anything", async () => {
    const stateDir = await freshStateDir();
    const badPort = await pipeline(["local", "start", "--port", "http", "--state-dir", stateDir]);
    expect(badPort.exitCode).toBe(2);
    expect(badPort.stderr).toContain('--port: "http" is not a port number (0-65535)');
    const badOption = await pipeline(["local", "status", "--jsn", "--state-dir", stateDir]);
    expect(badOption.exitCode).toBe(2);
    expect(badOption.stderr).toContain(
      "unknown option --jsn (did you mean --json?); valid options: --json, --state-dir <dir>, --help",
    );
    expect(await readdir(stateDir)).toEqual([]);
  });

  it("status of a stopped control plane says so and exits 3", async () => {
    const stateDir = await freshStateDir();
    const status = await pipeline(["local", "status", "--json", "--state-dir", stateDir]);
    expect(status.exitCode).toBe(3);
    expect(JSON.parse(status.stdout)).toEqual({ running: false, stateDir, workers: [] });
  });

  it("start runs it detached, status reports it, a second start reuses it, stop ends it", async () => {
    const stateDir = await freshStateDir();
    const start = await pipeline(["local", "start", "--state-dir", stateDir]);
    expect(start.exitCode, start.stderr).toBe(0);
    const status = await pipeline(["local", "status", "--json", "--state-dir", stateDir]);
    expect(status.exitCode, status.stdout).toBe(0);
    const running = JSON.parse(status.stdout) as {
      running: boolean;
      pid: number;
      apiBaseUrl: string;
      workers: unknown[];
    };
    expect(running).toMatchObject({ running: true, workers: [] });
    expect(running.apiBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(isProcessRunning(running.pid, undefined)).toBe(true);
    expect(start.stdout).toContain(`(pid ${running.pid}) at ${running.apiBaseUrl}`);

    const again = await pipeline(["local", "start", "--state-dir", stateDir]);
    expect(again.stdout).toContain(`(pid ${running.pid})`);

    const text = await pipeline(["local", "status", "--state-dir", stateDir]);
    expect(text.stdout).toContain(`running (pid ${running.pid}) at ${running.apiBaseUrl}`);
    expect(text.stdout).toContain("no workers deployed yet");

    const stop = await pipeline(["local", "stop", "--state-dir", stateDir]);
    expect(stop).toMatchObject({ exitCode: 0, stdout: "local control plane stopped" });
    expect(isProcessRunning(running.pid, undefined)).toBe(false);
    expect((await pipeline(["local", "status", "--state-dir", stateDir])).exitCode).toBe(3);
    expect((await pipeline(["local", "stop", "--state-dir", stateDir])).stdout).toBe(
      "local control plane was not running",
    );
  });
});
