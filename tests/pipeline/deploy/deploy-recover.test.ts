import { readdir, readFile, rm } from "node:fs/promises";
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
import { restoreServing, servingVersions, type Versions } from "../../helpers/cluster.js";
import { markedProcesses, PipelineProcess, survivors } from "../../helpers/pipeline-process.js";
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
 * Starts a full deploy named `run` and kills its node process with SIGKILL once wave `wave`
 * has a wrangler under way: no handler runs, the lock and the journal stay, and the wrangler
 * (in a process group of its own) goes on without its parent. Returns the number of waves.
 */
async function killDuringWave(run: string, wave: number): Promise<number> {
  const deploy = new PipelineProcess(repo.root, DEPLOY_ALL, { PIPELINE_RUN_ID: run });
  running = deploy;
  const waves = Number((await deploy.waitFor(/^wave 1\/\d+:/, 120_000)).split(/[/:]/)[1]);
  await deploy.waitFor(new RegExp(`^wave ${wave}/\\d+:`), 240_000);
  await deploy.waitFor(/→ \S+: deploying/, 60_000);
  const node = (await markedProcesses(deploy.marker)).find((process) =>
    /^\S*node .*pipeline\/launch\.mjs/.test(process.command),
  );
  if (node === undefined) throw new Error("no pipeline node process");
  await wranglersJournaled(run, deploy.marker, node.pid);
  process.kill(node.pid, "SIGKILL");
  await deploy.exited;
  return waves;
}

/**
 * Waits until every wrangler the run has started (each leads its own process group) is in the
 * run's journal, so the kill lands where recover can know of it. A kill in the instant between
 * a wrangler's start and that journal line is the one case recover cannot wait for
 * (docs/deploying.md); this test is about the others.
 */
async function wranglersJournaled(run: string, marker: string, nodePid: number): Promise<void> {
  const dir = join(repo.root, JOURNAL_DIR, "@local");
  for (;;) {
    const names = (await readdir(dir).catch(() => [])).filter((name) => name.startsWith(`${run}.`));
    const lines = (
      await Promise.all(names.map((name) => readFile(join(dir, name), "utf8").catch(() => "")))
    )
      .join("\n")
      .split("\n")
      .filter(Boolean);
    const journaled = new Set(
      lines
        .map((line) => JSON.parse(line) as { kind?: string; pid?: number })
        .filter((entry) => entry.kind === "child")
        .map((entry) => entry.pid),
    );
    const leaders = [];
    for (const candidate of await markedProcesses(marker)) {
      // The control plane also leads a group of its own, and is no child of the run's.
      if (candidate.pid === nodePid || !/wrangler/.test(candidate.command)) continue;
      const stat = await readFile(`/proc/${candidate.pid}/stat`, "utf8").catch(() => "");
      const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (group === candidate.pid) leaders.push(candidate.pid);
    }
    if (leaders.length > 0 && leaders.every((pid) => journaled.has(pid))) return;
    // Polled: the journal line and the process appear within milliseconds of each other.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
    // Without a journal nothing names the wrangler left running: wait for it here.
    await processesGone(running?.marker ?? "");
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
