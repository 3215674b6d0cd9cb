import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ensureLocalCloud,
  faultsPath,
  type LocalCloudHandle,
  restartPath,
} from "@workers/local-cloud";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeployReport } from "#core";
import { JOURNAL_DIR } from "../../../pipeline/deploy/file-journal-store.js";
import { deployRunMark } from "../../../pipeline/deploy/run-id.js";
import { markedProcesses as runMarkedProcesses } from "../../../pipeline/host/marked-processes.js";
import { restoreServing, servingVersions, type Versions } from "../../helpers/cluster.js";
import { PipelineProcess, survivors } from "../../helpers/pipeline-process.js";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

// Deploys cut short the hard way: `kill -9` of the pipeline's node process mid-wave (what an
// out-of-memory kill, a crashed runner or a lost CI machine does), then `recover`, or the next
// deploy. Every service starts deployed once (the baseline); every test puts the cluster back.
// Real deploys of every service: slow, so few tests, each covering several claims.
let repo: TempRepo;
let cloud: LocalCloudHandle;
let baseline: Versions;
let running: PipelineProcess | undefined;

const DEPLOY_ALL = ["deploy", "--service", "all", "--env", "local"];

beforeAll(async () => {
  repo = await copyRepo();
  cloud = await ensureLocalCloud(repo.root);
  const first = await repo.cli(DEPLOY_ALL);
  expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  baseline = await servingVersions(cloud);
}, 300_000);

afterEach(async () => {
  await running?.dispose();
  running = undefined;
  await faults("DELETE");
  await restoreServing(cloud, baseline);
  await rm(join(repo.root, JOURNAL_DIR), { recursive: true, force: true });
});

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
});

async function faults(method: string, rules?: unknown[]): Promise<void> {
  const response = await fetch(`${new URL(cloud.apiBaseUrl).origin}${faultsPath}`, {
    method,
    ...(rules ? { body: JSON.stringify({ rules }) } : {}),
  });
  if (!response.ok) throw new Error(`faults ${method}: HTTP ${response.status}`);
}

/**
 * Starts a full deploy named `run` and kills its node process with SIGKILL the moment wave
 * `wave` has a deploying wrangler: no handler runs, the lock and the journal stay, and the
 * wrangler (in a process group of its own) goes on without its parent. The kill is aimed at
 * the instant after the wrangler's start, when the journal may not name it yet, and the
 * journal is then left as such a kill leaves it: `recover` knows of the wrangler by the run's
 * mark in its environment only. Returns the number of waves.
 */
async function killDuringWave(run: string, wave: number): Promise<number> {
  const deploy = new PipelineProcess(repo.root, DEPLOY_ALL, { PIPELINE_RUN_ID: run });
  running = deploy;
  const waves = Number((await deploy.waitFor(/^wave 1\/\d+:/, 120_000)).split(/[/:]/)[1]);
  await deploy.waitFor(new RegExp(`^wave ${wave}/\\d+:`), 240_000);
  const node = await deploy.nodePid();
  await deployingWrangler(run);
  process.kill(node, "SIGKILL");
  await deploy.exited;
  await forgetChildren(run);
  return waves;
}

/**
 * Removes the journal's lines naming the run's wranglers, as a kill in the instant between a
 * wrangler's start and its journal line leaves it: the kill above aims there but cannot be sure
 * to land there. `recover` must find the wrangler all the same.
 */
async function forgetChildren(run: string): Promise<void> {
  const dir = join(repo.root, JOURNAL_DIR, "@local");
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${run}.`)) continue;
    const lines = (await readFile(join(dir, name), "utf8")).split("\n");
    const kept = lines.filter((line) => !line.includes('"kind":"child"'));
    await writeFile(join(dir, name), kept.join("\n"));
  }
}

/**
 * Waits for a live wrangler that uploads or deploys and carries the run's mark. A wave starts
 * once the one before has ended, so it is this wave's. Scanned back to back, without a pause:
 * the aim is the first moment it exists.
 */
async function deployingWrangler(run: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const found = await runMarked(run);
    if (found.some((process) => DEPLOYING.test(process.command))) return;
  }
  throw new Error(`no deploying wrangler of run ${run} within 120 s`);
}

/** A wrangler that lands a version: `deploy`, or a gradual rollout's `versions upload|deploy`. */
const DEPLOYING = /wrangler\S*\s+(deploy|versions (upload|deploy))(\s|$)/;

function runMarked(run: string) {
  return runMarkedProcesses(deployRunMark(run));
}

/** Waits until no process of the killed run is left (its wrangler ends in its own time). */
async function processesGone(marker: string): Promise<void> {
  while ((await survivors(marker)).length > 0) {
    // survivors() itself waits up to 2 s for the list to empty: this loop only repeats it.
  }
}

describe("a deploy killed with SIGKILL", () => {
  it("at each wave: recover waits for the wrangler it left, then puts every service back", async () => {
    let waves = 1;
    for (let wave = 1; wave <= waves; wave++) {
      waves = await killDuringWave(`kill-wave-${wave}`, wave);
      const recovered = await repo.cli(["recover", "--env", "local", "--json", "recover.json"]);
      expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
      const [headline] = recovered.stdout.split("\n");
      expect(headline).toMatch(
        new RegExp(
          `^recover @local: recovered run kill-wave-${wave} .*from its journal.*\\(pre-run\\)`,
        ),
      );
      expect(await servingVersions(cloud), `after a kill in wave ${wave}`).toEqual(baseline);
      expect(await survivors(running?.marker ?? "")).toEqual([]);
      if (wave > 1) continue;
      // Once is enough: the history is read with a wrangler process per service.
      const again = await repo.cli(["recover", "--env", "local", "--run", `kill-wave-${wave}`]);
      expect(again.stdout.split("\n")[0]).toMatch(
        /^recover @local: recovered run .*: .* on .* \(pre-run\)/,
      );
      expect(again.stdout).not.toContain("rolled back");
    }
    expect(waves).toBeGreaterThan(2);
  }, 1_800_000);

  it("then deploy: the next deploy names the unfinished run first, recovers it, then deploys", async () => {
    await killDuringWave("kill-then-deploy", 2);
    await processesGone(running?.marker ?? "");
    const dry = await repo.cli([...DEPLOY_ALL, "--dry-run"]);
    expect(dry.stderr.split("\n")[0]).toMatch(
      /^unfinished deploy run kill-then-deploy to @local \(started .*\): unverified: .*; recovering it first$/,
    );
    const next = await repo.cli([...DEPLOY_ALL, "--json", "deploy.json"], {
      PIPELINE_RUN_ID: "after-the-kill",
    });
    expect(next.exitCode, next.stdout + next.stderr).toBe(0);
    expect(next.stderr.split("\n")[0]).toMatch(/^unfinished deploy run kill-then-deploy to @local/);
    expect(next.stderr).toMatch(/recover @local: recovered run kill-then-deploy/);
    const report = JSON.parse(
      await readFile(join(repo.root, "deploy.json"), "utf8"),
    ) as DeployReport;
    // Every pre-run version the new deploy recorded is the baseline: the recovery came first.
    for (const service of report.services) {
      expect(service.previousVersion).toBe(baseline[service.worker]);
    }
    const after = await repo.cli(DEPLOY_ALL.concat("--dry-run"));
    expect(after.stderr).not.toContain("unfinished deploy run");
  }, 900_000);

  it("with its journal deleted: recover finds the run in the deployment history by its annotations", async () => {
    const waves = await killDuringWave("kill-no-journal", 2);
    expect(waves).toBeGreaterThan(2);
    // The wrangler left running is not waited for here: recover --run finds it by its mark.
    await rm(join(repo.root, JOURNAL_DIR), { recursive: true, force: true });
    const unnamed = await repo.cli(["recover", "--env", "local"]);
    expect(unnamed.exitCode).toBe(0);
    expect(unnamed.stdout).toContain("--run kill-no-journal");
    expect(await servingVersions(cloud)).not.toEqual(baseline);
    const recovered = await repo.cli(["recover", "--env", "local", "--run", "kill-no-journal"]);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout.split("\n")[0]).toMatch(/from its history/);
    expect(await servingVersions(cloud)).toEqual(baseline);
  }, 900_000);

  it("with a flaky API: 429 with Retry-After, 500 on a switch and a hung history read are retried", async () => {
    await killDuringWave("kill-flaky", 2);
    await processesGone(running?.marker ?? "");
    await faults("POST", [
      { method: "GET", path: "/deployments$", status: 429, retryAfter: "1", times: 2 },
      { method: "GET", path: "/deployments$", hang: true, times: 1 },
      { method: "POST", path: "/deployments$", status: 500, times: 1 },
    ]);
    const recovered = await repo.cli(["recover", "--env", "local"]);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stderr).toMatch(/GET \S+\/deployments: HTTP 429; retry 1\/4 in 1000 ms/);
    expect(recovered.stderr).toMatch(/GET \S+\/deployments: no answer .*; retry/);
    expect(recovered.stderr).toMatch(/POST \S+\/deployments: HTTP 500; retry 1\/4/);
    expect(await servingVersions(cloud)).toEqual(baseline);
  }, 900_000);
});

describe("the control plane restarting mid-wave", () => {
  it("leaves every service on a version the run verified, or back where it was after recover", async () => {
    const deploy = new PipelineProcess(repo.root, [...DEPLOY_ALL, "--json", "restart.json"], {
      PIPELINE_RUN_ID: "restart-mid-wave",
    });
    running = deploy;
    await deploy.waitFor(/^wave 2\/\d+:/, 240_000);
    await deploy.waitFor(/→ \S+: deploying/, 60_000);
    const restart = await fetch(`${new URL(cloud.apiBaseUrl).origin}${restartPath}`, {
      method: "POST",
    });
    expect(restart.status).toBe(202);
    const exit = await deploy.exited;
    const report = JSON.parse(
      await readFile(join(repo.root, "restart.json"), "utf8"),
    ) as DeployReport;
    const recovered = await repo.cli(["recover", "--env", "local"]);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    const serving = await servingVersions(cloud);
    if (exit.status === 0) {
      for (const service of report.services)
        expect(serving[service.worker]).toBe(service.newVersion);
    } else {
      expect(serving).toEqual(baseline);
    }
  }, 900_000);
});
