import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessRunning, processStartTime } from "@workers/host-state";
import { CORRUPTIONS } from "@workers/host-state/testing";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  ensureLocalCloud,
  localApiToken,
  localCloudStatus,
  readRunningState,
  stopLocalCloud,
  writeRunningState,
} from "../src/index.js";
import { clearRunningState, type RunningState } from "../src/process/state-file.js";
import { runWrangler } from "./run-wrangler.js";

/**
 * The detached control plane as the pipeline starts, finds and stops it: `ensureLocalCloud`
 * spawns the real process (main.ts) and these tests talk to it over HTTP and signals. Each test
 * has a state directory of its own, whose instance is stopped after it.
 */

const repoRoot = join(import.meta.dirname, "../../..");
const stateDirs: string[] = [];

async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "local-cloud-lifecycle-"));
  stateDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of stateDirs.splice(0)) {
    await stopLocalCloud(repoRoot, { stateDir: dir }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

/** A state.json naming `pid`, listening where nothing answers. */
function recordedState(stateDir: string, pid: number): RunningState {
  return {
    pid,
    port: 9,
    apiBaseUrl: "http://127.0.0.1:9/client/v4",
    statusUrl: "http://127.0.0.1:9/__local-cloud/status",
    accountId: "10ca1c10d0000000000000000000c10d",
    startedAt: new Date().toISOString(),
    dataDir: join(stateDir, "data"),
    logFile: join(stateDir, "server.log"),
  };
}

// `/health` answers JSON, anything else plain text; `scheduled` throws for the cron "fail".
const workerSource = `export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === "/health") return Response.json({ version: env.VERSION.id });
    return new Response("plain text");
  },
  scheduled(controller) {
    if (controller.cron === "fail") throw new Error("scheduled handler failed on purpose");
  },
};`;

async function writeWorker(dir: string, name: string, source: string): Promise<string> {
  await writeFile(
    join(dir, `${name}.jsonc`),
    JSON.stringify({
      name,
      main: `${name}.js`,
      compatibility_date: "2025-06-01",
      version_metadata: { binding: "VERSION" },
    }),
  );
  await writeFile(join(dir, `${name}.js`), source);
  return `${name}.jsonc`;
}

describe("a detached control plane: ensureLocalCloud, localCloudStatus, stopLocalCloud", () => {
  it("starts one, reuses it, deploys to it with wrangler, reports its workers' health, and stops it", async () => {
    const stateDir = await freshStateDir();
    const cloud = await ensureLocalCloud(repoRoot, { stateDir, splitSeed: 7 });
    expect(cloud.pid).not.toBe(process.pid);
    expect(isProcessRunning(cloud.pid, undefined)).toBe(true);
    expect(cloud.apiBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(cloud.wranglerEnv).toEqual({
      CLOUDFLARE_API_BASE_URL: cloud.apiBaseUrl,
      CLOUDFLARE_ACCOUNT_ID: cloud.accountId,
      CLOUDFLARE_API_TOKEN: localApiToken,
      WRANGLER_SEND_METRICS: "false",
    });
    expect(cloud.logFile).toBe(join(stateDir, "server.log"));
    expect((await readRunningState(stateDir))?.pid).toBe(cloud.pid);

    const again = await ensureLocalCloud(repoRoot, { stateDir });
    expect(again.pid).toBe(cloud.pid);
    expect(again.apiBaseUrl).toBe(cloud.apiBaseUrl);

    const name = "lc-lifecycle-health";
    const config = await writeWorker(stateDir, name, workerSource);
    const deploy = await runWrangler(cloud, stateDir, ["deploy", "-c", config]);
    expect(deploy.exitCode, deploy.output).toBe(0);
    const [worker] = await cloud.workers();
    expect(worker).toMatchObject({ name, versions: 1 });
    const url = await cloud.workerUrl(name);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await cloud.workerUrl("lc-lifecycle-nobody")).toBeUndefined();
    expect(await localCloudStatus(repoRoot, { stateDir })).toEqual({
      running: true,
      pid: cloud.pid,
      apiBaseUrl: cloud.apiBaseUrl,
      accountId: cloud.accountId,
      stateDir,
      workers: [
        {
          ...worker,
          health: { ok: true, status: 200, body: { version: worker?.activeVersionId } },
        },
      ],
    });

    await cloud.triggerScheduled(name, "*/5 * * * *");
    await expect(cloud.triggerScheduled(name, "fail")).rejects.toThrow(
      `scheduled ${name} (fail): scheduled handler of ${name} for "fail" ended with outcome exception`,
    );
    await expect(cloud.triggerScheduled("lc-lifecycle-nobody", "* * * * *")).rejects.toThrow(
      "scheduled lc-lifecycle-nobody (* * * * *): worker lc-lifecycle-nobody has no active version",
    );

    await cloud.stop();
    expect(isProcessRunning(cloud.pid, undefined)).toBe(false);
    expect(await readdir(stateDir)).not.toContain("state.json");
    expect(await localCloudStatus(repoRoot, { stateDir })).toEqual({
      running: false,
      stateDir,
      workers: [],
    });
    expect(await stopLocalCloud(repoRoot, { stateDir })).toBe(false);
  });

  it("status keeps a /health answer that is not JSON as text", async () => {
    const stateDir = await freshStateDir();
    const cloud = await ensureLocalCloud(repoRoot, { stateDir });
    const name = "lc-lifecycle-text";
    const config = await writeWorker(
      stateDir,
      name,
      'export default { fetch() { return new Response("not json", { status: 503 }); } };',
    );
    const deploy = await runWrangler(cloud, stateDir, ["deploy", "-c", config]);
    expect(deploy.exitCode, deploy.output).toBe(0);
    const status = await localCloudStatus(repoRoot, { stateDir });
    expect(status.workers.map((worker) => worker.health)).toEqual([
      { ok: false, status: 503, body: "not json" },
    ]);
    expect(await stopLocalCloud(repoRoot, { stateDir })).toBe(true);
    expect(isProcessRunning(cloud.pid, undefined)).toBe(false);
  });

  it("starts a single instance for concurrent callers", async () => {
    const stateDir = await freshStateDir();
    const [a, b, c] = await Promise.all([
      ensureLocalCloud(repoRoot, { stateDir }),
      ensureLocalCloud(repoRoot, { stateDir }),
      ensureLocalCloud(repoRoot, { stateDir }),
    ]);
    expect(b?.pid).toBe(a?.pid);
    expect(c?.pid).toBe(a?.pid);
    expect(await readdir(stateDir)).not.toContain("start.lock");
  });

  it("removes a start lock abandoned by a caller that died, then starts", async () => {
    const stateDir = await freshStateDir();
    const lock = join(stateDir, "start.lock");
    await writeFile(lock, "12345");
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, longAgo, longAgo);
    const cloud = await ensureLocalCloud(repoRoot, { stateDir });
    expect(isProcessRunning(cloud.pid, undefined)).toBe(true);
    expect(await readdir(stateDir)).not.toContain("start.lock");
  });

  it("gives up, naming the state dir, while another caller holds the start lock", async () => {
    const stateDir = await freshStateDir();
    const lock = join(stateDir, "start.lock");
    await writeFile(lock, "12345");
    // A lock touched just now (here: in the future) belongs to a caller still starting one.
    const later = new Date(Date.now() + 60 * 60_000);
    await utimes(lock, later, later);
    await expect(ensureLocalCloud(repoRoot, { stateDir, startTimeoutMs: 1_000 })).rejects.toThrow(
      `local control plane in ${stateDir} did not start within 1000 ms`,
    );
    expect(await readdir(stateDir)).toEqual(["start.lock"]);
  });

  it("reports a process that exits while starting with its exit code and the log's last lines", async () => {
    const stateDir = await freshStateDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = (await ensureLocalCloud(repoRoot, { stateDir, port }).catch(
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toMatch(
        new RegExp(
          `^local control plane exited with code 1 while starting; last log lines of ${join(stateDir, "server.log")}:\\n`,
        ),
      );
      expect(error.message).toContain("EADDRINUSE");
      expect(await readdir(stateDir)).not.toContain("state.json");
    } finally {
      blocker.close();
    }
  });

  it("refuses a corrupt cloud.json in one line before starting anything", async () => {
    const stateDir = await freshStateDir();
    const dataDir = join(stateDir, "data");
    await mkdir(dataDir);
    const file = join(dataDir, "cloud.json");
    await writeFile(file, '{"accountId": "10ca1c10d0000000000000000000c10d", "subd');
    const error = (await ensureLocalCloud(repoRoot, { stateDir }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).not.toContain("\n");
    expect(error.message.startsWith(`${file} is corrupt (not valid JSON: `)).toBe(true);
    expect((await readdir(stateDir)).sort()).toEqual(["data"]);
  });
});

describe("state.json", () => {
  it("is rewritten whole, keeping the previous one as state.json.bak", async () => {
    const stateDir = await freshStateDir();
    await writeRunningState(stateDir, recordedState(stateDir, 101));
    await writeRunningState(stateDir, recordedState(stateDir, 202));
    expect((await readRunningState(stateDir))?.pid).toBe(202);
    expect(JSON.parse(await readFile(join(stateDir, "state.json.bak"), "utf8")).pid).toBe(101);
    expect(await readRunningState(await freshStateDir())).toBeUndefined();
  });

  it("is cleared by its own instance only: a newer instance's file stays", async () => {
    const stateDir = await freshStateDir();
    await writeRunningState(stateDir, recordedState(stateDir, 202));
    await clearRunningState(stateDir, 101);
    expect((await readRunningState(stateDir))?.pid).toBe(202);
    await clearRunningState(stateDir, 202);
    expect(await readRunningState(stateDir)).toBeUndefined();
  });

  it.each(CORRUPTIONS)(
    "a %s state.json is named in one line by status, start and stop, and left as it is",
    async (_, damage, detail) => {
      const stateDir = await freshStateDir();
      await writeRunningState(stateDir, recordedState(stateDir, 101));
      const file = join(stateDir, "state.json");
      const damaged = damage(await readFile(file, "utf8"));
      await writeFile(file, damaged);
      for (const call of [
        () => localCloudStatus(repoRoot, { stateDir }),
        () => ensureLocalCloud(repoRoot, { stateDir }),
        () => stopLocalCloud(repoRoot, { stateDir }),
      ]) {
        const message = ((await call().catch((e: unknown) => e)) as Error).message;
        expect(message).not.toContain("\n");
        expect(message.startsWith(`${file} is corrupt (`)).toBe(true);
        expect(message).toMatch(detail);
        expect(message).toMatch(
          /\): restore it from state\.json\.bak, or stop any control plane process still running and remove it$/,
        );
      }
      expect(await readFile(file, "utf8")).toBe(damaged);
    },
  );

  it("left by a crash, whose pid another process now has, is not taken for a running instance", async () => {
    const stateDir = await freshStateDir();
    const other = execa("sleep", ["60"]);
    try {
      const pid = other.pid as number;
      await writeRunningState(stateDir, {
        ...recordedState(stateDir, pid),
        startTime: `${processStartTime(pid)}0`,
      });
      expect(await localCloudStatus(repoRoot, { stateDir })).toEqual({
        running: false,
        stateDir,
        workers: [],
      });
      // stop removes the stale file and leaves the process that reuses the pid alone.
      expect(await stopLocalCloud(repoRoot, { stateDir })).toBe(true);
      expect(await readdir(stateDir)).not.toContain("state.json");
      expect(isProcessRunning(pid, undefined)).toBe(true);
    } finally {
      other.kill();
      await other.catch(() => undefined);
    }
  });

  it("naming a live process that does not answer is replaced by a new instance", async () => {
    const stateDir = await freshStateDir();
    const startTime = processStartTime(process.pid);
    await writeRunningState(stateDir, {
      ...recordedState(stateDir, process.pid),
      ...(startTime !== undefined && { startTime }),
    });
    try {
      expect((await localCloudStatus(repoRoot, { stateDir })).running).toBe(false);
      const cloud = await ensureLocalCloud(repoRoot, { stateDir });
      expect(cloud.pid).not.toBe(process.pid);
      expect((await readRunningState(stateDir))?.pid).toBe(cloud.pid);
    } finally {
      // If no instance replaced it, the stop after the test would signal this test process.
      await clearRunningState(stateDir, process.pid);
    }
  });
});
