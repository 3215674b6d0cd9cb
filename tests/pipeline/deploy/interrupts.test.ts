import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DeployReport, LOCAL_TARGET } from "#core";
import { currentHolder, fileLockStore } from "../../../pipeline/deploy/file-lock-store.js";
import {
  restoreServing,
  servingVersions,
  type Versions,
  versionCounts,
} from "../../helpers/cluster.js";
import {
  markedProcesses,
  type PipelineExit,
  PipelineProcess,
  survivors,
} from "../../helpers/pipeline-process.js";
import { COPY_PNPM_ENV, copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

// Real signals to real `pnpm run pipeline deploy` processes against the local control plane.
// The cluster starts with db and auth deployed once; every test puts it back (afterEach), so
// each starts from that baseline whatever ran before it.
let repo: TempRepo;
let cloud: LocalCloudHandle;
let baseline: Versions;
let running: PipelineProcess | undefined;

const DEPLOY = ["deploy", "--service", "db,auth", "--env", "local"];
const REPORTS = ["--json", "report.json", "--summary", "report.md"];
// A failing smoke test fails auth at once, where a failing health check would wait out a
// timeout that also bounds the rollback's own health checks (too tight on two busy cores).
const FAILING_AUTH_SMOKE = (text: string) =>
  text.replace('"expectStatus": 404', '"expectStatus": 418');

beforeAll(async () => {
  repo = await copyRepo();
  cloud = await ensureLocalCloud(repo.root);
  const first = await repo.cli(DEPLOY);
  expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  baseline = await servingVersions(cloud);
}, 180_000);

afterEach(async () => {
  await running?.dispose();
  running = undefined;
  await repo.restore();
  await restoreServing(cloud, baseline);
  // A lock a failed test left behind goes; taking and dropping it is the store's way to ask.
  const store = fileLockStore(repo.root);
  const probe = currentHolder(new Date());
  await store.remove(LOCAL_TARGET, (await store.tryCreate(LOCAL_TARGET, probe)) ?? probe);
});

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
});

function start(args: string[], env: Record<string, string> = {}): PipelineProcess {
  running = new PipelineProcess(repo.root, args, env);
  return running;
}

/** The run's wrangler processes, waiting a moment for one to start (it follows its progress line). */
async function inFlight(run: PipelineProcess) {
  for (let tries = 0; tries < 100; tries++) {
    const wranglers = (await markedProcesses(run.marker)).filter((process) =>
      process.command.includes("wrangler.js"),
    );
    if (wranglers.length) return wranglers;
    await sleep(50);
  }
  return [];
}

async function lockIsFree(): Promise<boolean> {
  const store = fileLockStore(repo.root);
  const probe = { ...currentHolder(new Date()), holder: "test probe" };
  if ((await store.tryCreate(LOCAL_TARGET, probe)) !== undefined) return false;
  await store.remove(LOCAL_TARGET, probe);
  return true;
}

/**
 * What every interrupted run must leave: the status a shell shows, the interruption first in
 * all three reports, every service on its version from before the run, the lock released and
 * no process of the run alive.
 */
async function expectCleanInterruption(
  run: PipelineProcess,
  exit: PipelineExit,
  signal: "SIGINT" | "SIGTERM",
  status: number,
): Promise<DeployReport> {
  expect(exit.status, exit.stderr).toBe(status);
  expect(exit.stdout.split("\n")[0]).toMatch(new RegExp(`^!!! INTERRUPTED by ${signal} during `));
  const text = await readFile(join(repo.root, "report.json"), "utf8");
  const report = JSON.parse(text) as DeployReport;
  expect(Object.keys(report)[0]).toBe("interrupted");
  expect(report.interrupted?.by).toBe(signal);
  const markdown = (await readFile(join(repo.root, "report.md"), "utf8")).split("\n");
  expect(markdown.slice(0, 2)).toEqual([
    "> [!CAUTION]",
    expect.stringMatching(new RegExp(`^> \\*\\*INTERRUPTED by ${signal} during `)),
  ]);
  expect(await servingVersions(cloud)).toEqual(baseline);
  expect(await lockIsFree()).toBe(true);
  expect(await survivors(run.marker)).toEqual([]);
  return report;
}

function service(report: DeployReport, name: string) {
  const found = report.services.find((entry) => entry.service === name);
  if (found === undefined) throw new Error(`no ${name} in the report`);
  return found;
}

describe("an interrupted deploy rolls back, reports, unlocks and exits 128 + signal", () => {
  it("SIGTERM to pnpm while wave 1 deploys: the deploy in flight ends, then is rolled back", async () => {
    const run = start([...DEPLOY, ...REPORTS]);
    await run.waitFor(/→ db: deploying/);
    // wrangler deploy is under way: the signal reaches pnpm, which relays it.
    expect((await inFlight(run)).map((p) => p.command)).toEqual([
      expect.stringMatching(/wrangler\.js deploy/),
    ]);
    run.kill("SIGTERM");
    const exit = await run.exited;
    const report = await expectCleanInterruption(run, exit, "SIGTERM", 143);
    expect(report.interrupted?.during).toBe("wave 1/2 (db)");
    expect(service(report, "db")).toMatchObject({
      outcome: "interrupted",
      failure: "interrupted by SIGTERM once its deploy had finished",
      rollback: { outcome: "rolled-back", toVersion: baseline.db },
    });
    expect(service(report, "db").newVersion).not.toBe(baseline.db);
    expect(service(report, "auth")).toMatchObject({
      outcome: "skipped",
      failure: "not deployed: interrupted by SIGTERM",
    });
  }, 120_000);

  it("Ctrl-C (SIGINT to the job's process group) as wave 1 ends: wave 2 starts nothing more, and is undone", async () => {
    const counts = await versionCounts(cloud);
    const run = start([...DEPLOY, ...REPORTS]);
    await run.waitFor(/✓ db: /);
    run.killGroup("SIGINT");
    const exit = await run.exited;
    const report = await expectCleanInterruption(run, exit, "SIGINT", 130);
    expect(report.interrupted?.during).toBe("wave 2/2 (auth)");
    expect(service(report, "db")).toMatchObject({
      outcome: "deployed",
      rollback: { outcome: "rolled-back", toVersion: baseline.db },
    });
    // Wave 2 starts the moment wave 1 ends: reading auth's serving version is one API request,
    // so the signal, however fast, may find auth's wrangler deploy already started. That call
    // is let finish and then rolled back; a signal that comes first starts no upload at all.
    // Ctrl-C reaches the whole group, so it can also stop that wrangler as it starts, before any
    // upload. All end with auth on its baseline (checked above), and nothing after the signal
    // starts.
    const auth = service(report, "auth");
    if (auth.newVersion === undefined) {
      expect(auth.failure).toMatch(
        /^(not deployed: interrupted by SIGINT|interrupted by SIGINT before its code was deployed|deploy: wrangler deploy: wrangler exited with code 130 without a message)$/,
      );
      expect((await versionCounts(cloud)).auth).toBe(counts.auth);
    } else {
      expect(auth).toMatchObject({
        outcome: "interrupted",
        failure: "interrupted by SIGINT once its deploy had finished",
        rollback: { outcome: "rolled-back", toVersion: baseline.auth },
      });
      expect((await versionCounts(cloud)).auth).toBe((counts.auth ?? 0) + 1);
    }
  }, 120_000);

  it("SIGTERM to the pipeline process during a rollback: the rollback goes on to its end", async () => {
    await repo.patch("services/auth/smoke.json", FAILING_AUTH_SMOKE);
    const run = start([...DEPLOY, ...REPORTS]);
    await run.waitFor(/↩ auth: rolling back/);
    process.kill(await run.nodePid(), "SIGTERM");
    const exit = await run.exited;
    const report = await expectCleanInterruption(run, exit, "SIGTERM", 143);
    expect(report.interrupted?.during).toBe("the rollback");
    expect(service(report, "auth").failure).toBe(
      'smoke "unknown route is a JSON 404": GET /does-not-exist: expected status 418, got 404: {"error":{"code":"not_found","message":"no route for /does-not-exist"}}',
    );
    for (const name of ["db", "auth"]) {
      expect(service(report, name).rollback).toMatchObject({ outcome: "rolled-back" });
    }
  }, 120_000);

  it("a second signal exits at once, kills wrangler and prints the commands that finish the rollback", async () => {
    const run = start([...DEPLOY, ...REPORTS]);
    await run.waitFor(/→ auth: deploying/);
    // The first signal goes once wave 2's wrangler deploy has started (sent before it, the run
    // would rightly start none); the second once it counts as a second (500 ms later), while
    // that deploy still runs, so there is a child to kill: rollbacks start none, they call the API.
    expect(await inFlight(run)).not.toEqual([]);
    run.kill("SIGTERM");
    await sleep(520);
    expect(await inFlight(run)).not.toEqual([]);
    const second = Date.now();
    run.kill("SIGTERM");
    const exit = await run.exited;
    expect(Date.now() - second).toBeLessThan(3_000);
    expect(exit.status).toBe(143);
    expect(exit.stderr).toContain("second SIGTERM: exiting now; the rollback is NOT finished");
    expect(await survivors(run.marker)).toEqual([]);
    expect(await lockIsFree()).toBe(true);
    const commands = [...exit.stderr.matchAll(/pnpm run pipeline rollback [^\s].*?(?= {2}|$)/gm)];
    const printed = commands.map((match) => match[0]);
    expect(printed).toContain(
      `pnpm run pipeline rollback --service db --env @local --to ${baseline.db}`,
    );
    // Running them as printed finishes the rollback (the dead run's lock is taken over as stale).
    for (const command of printed) {
      const [, , , ...args] = command.split(" ");
      const result = await execa("pnpm", ["run", "pipeline", ...args], {
        cwd: repo.root,
        reject: false,
        env: COPY_PNPM_ENV,
      });
      expect(result.stderr + result.stdout).toMatch(/back on|already serves/);
    }
    expect(await servingVersions(cloud)).toEqual(baseline);
  }, 120_000);

  it("a wrangler call still running when the grace period ends is stopped, and the report says so", async () => {
    const run = start([...DEPLOY, ...REPORTS], { PIPELINE_INTERRUPT_GRACE_MS: "0" });
    await run.waitFor(/→ db: deploying/);
    expect(await inFlight(run)).not.toEqual([]);
    run.kill("SIGTERM");
    const exit = await run.exited;
    const report = await expectCleanInterruption(run, exit, "SIGTERM", 143);
    expect(service(report, "db")).toMatchObject({
      outcome: "interrupted",
      failure: "deploy: wrangler deploy: stopped: still running 0.0s after SIGTERM",
    });
    expect(exit.stdout).toContain(
      `!!! CHECK db (@local): its wrangler deploy was stopped mid-flight and may still go live; if it does, roll it back by hand: pnpm run pipeline rollback --service db --env @local --to ${baseline.db}`,
    );
    // It did not: stopped in its first moments, it had uploaded nothing.
    await sleep(1_000);
    expect(await servingVersions(cloud)).toEqual(baseline);
  }, 120_000);
});
