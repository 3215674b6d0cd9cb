import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { foldJournal, newestUnfinishedRun, RELEASE_STAGES, type ReleaseReport } from "#core";
import { fileJournalStore, JOURNAL_DIR } from "../../../pipeline/deploy/file-journal-store.js";
import { restoreServing, servingVersions, type Versions } from "../../helpers/cluster.js";
import {
  markedProcesses,
  PIPELINE_NODE,
  PipelineProcess,
  survivors,
} from "../../helpers/pipeline-process.js";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

// `release` (staging, then production) cut short the hard way, then reconciled by the next
// release, as deploy-recover.test.ts does for `deploy`. Both stages go to the local control
// plane through CLOUDFLARE_API_BASE_URL, as a real release goes to Cloudflare. db alone, deployed
// once to both stages by the first release (the baseline); every test puts the cluster back.
let repo: TempRepo;
let cloud: LocalCloudHandle;
let baseline: Versions;
let cloudEnv: Record<string, string>;
let running: PipelineProcess | undefined;
const realFetch = globalThis.fetch;

const RELEASE = ["release", "--service", "db", "--strategy", "immediate"];

/**
 * Health checks and smoke tests ask each Worker's workers.dev URL, which wrangler reports from
 * the control plane's subdomain: this resolves it to where the control plane serves that
 * Worker, as DNS does for Cloudflare. Only release runs in this process see it.
 */
function routeWorkersDev(): void {
  globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const worker = /^([^.]+)\.[^.]+\.workers\.dev$/.exec(url.hostname)?.[1];
    if (worker === undefined) return realFetch(input, init);
    const base = await cloud.workerUrl(worker);
    if (base === undefined) throw new Error(`no Worker ${worker} on the control plane`);
    return realFetch(new URL(`${url.pathname}${url.search}`, base), init);
  };
}

beforeAll(async () => {
  repo = await copyRepo();
  cloud = await ensureLocalCloud(repo.root);
  cloudEnv = {
    CLOUDFLARE_API_TOKEN: cloud.wranglerEnv.CLOUDFLARE_API_TOKEN ?? "",
    CLOUDFLARE_ACCOUNT_ID: cloud.accountId,
    CLOUDFLARE_API_BASE_URL: cloud.apiBaseUrl,
  };
  routeWorkersDev();
  const first = await repo.cli(RELEASE, cloudEnv);
  expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  baseline = await servingVersions(cloud);
  expect(baseline["db-staging"]).toBeDefined();
  expect(baseline["db-production"]).toBeDefined();
}, 600_000);

afterEach(async () => {
  await running?.dispose();
  running = undefined;
  await repo.restore();
  await restoreServing(cloud, baseline);
  await rm(join(repo.root, JOURNAL_DIR), { recursive: true, force: true });
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await cloud?.stop();
  await repo?.dispose();
});

/**
 * Starts a release named `run` and kills its node process with SIGKILL once staging's wrangler
 * deploy of db is under way (its journal then names the step), then waits until that wrangler,
 * left running in its own process group, has ended: its version has landed on staging.
 */
async function killReleaseInStaging(run: string): Promise<void> {
  const release = new PipelineProcess(repo.root, RELEASE, { ...cloudEnv, PIPELINE_RUN_ID: run });
  running = release;
  await release.waitFor(/→ db: deploying/, 240_000);
  let node: number | undefined;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const processes = await markedProcesses(release.marker);
    node = processes.find((process) => PIPELINE_NODE.test(process.command))?.pid;
    if (node !== undefined && processes.some((process) => /wrangler/.test(process.command))) break;
    if (Date.now() > deadline) {
      throw new Error(
        `no pipeline node and wrangler among the release's processes: ${JSON.stringify(processes)}`,
      );
    }
    // Polled: wrangler starts within moments of its progress line.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.kill(node, "SIGKILL");
  await release.exited;
  while ((await survivors(release.marker)).length > 0) {
    // survivors() itself waits up to 2 s for the list to empty: this loop only repeats it.
  }
}

/** The journals of `run` in `target`, each as its entries' kinds. */
async function journalsOf(target: string, run: string) {
  const runs = await fileJournalStore(repo.root).runs(target);
  return runs.flatMap(({ entries, key }) => {
    const folded = foldJournal(entries, key);
    return folded?.run === run ? [folded] : [];
  });
}

async function journalFiles(): Promise<string[]> {
  const files = await Promise.all(
    RELEASE_STAGES.map(async (target) =>
      (await readdir(join(repo.root, JOURNAL_DIR, target)).catch(() => [])).map(
        (name) => `${target}/${name}`,
      ),
    ),
  );
  return files.flat().sort();
}

describe("a release", () => {
  it("journals each stage, and ends each journal once the stage is verified", async () => {
    const result = await repo.cli(RELEASE, { ...cloudEnv, PIPELINE_RUN_ID: "clean-release" });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    for (const target of RELEASE_STAGES) {
      const [journal, ...more] = await journalsOf(target, "clean-release");
      expect(more).toEqual([]);
      expect(journal).toMatchObject({
        target,
        waves: [["db"]],
        services: [{ service: "db", previous: baseline[`db-${target}`], last: "verified" }],
        ended: "deployed",
      });
      expect(await newestUnfinishedRun(fileJournalStore(repo.root), target)).toBeUndefined();
    }
  }, 600_000);
});

describe("a release killed with SIGKILL in staging", () => {
  it("leaves a journal that `recover --env staging` completes", async () => {
    await killReleaseInStaging("kill-then-recover");
    expect((await servingVersions(cloud))["db-staging"]).not.toBe(baseline["db-staging"]);
    const recovered = await repo.cli(["recover", "--env", "staging"], cloudEnv);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout.split("\n")[0]).toMatch(
      /^recover staging: recovered run kill-then-recover .*from its journal/,
    );
    expect(await servingVersions(cloud)).toEqual(baseline);
  }, 600_000);

  it("then release, configured to refuse: names the run and the one command, and changes nothing", async () => {
    await killReleaseInStaging("kill-then-refuse");
    await repo.add(
      "workers-pipeline.config.json",
      JSON.stringify({ rollout: { unfinishedRun: "refuse" } }),
    );
    const before = await servingVersions(cloud);
    const files = await journalFiles();
    const refused = await repo.cli(RELEASE, { ...cloudEnv, PIPELINE_RUN_ID: "refused" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      /^pipeline release: unfinished deploy run kill-then-refuse to staging \(started [^)]+\): unverified: db \([a-z-]+\); refusing to deploy \(rollout\.unfinishedRun is "refuse"\): run `pnpm run pipeline recover --env staging` first$/,
    );
    expect(await servingVersions(cloud)).toEqual(before);
    expect(await journalFiles()).toEqual(files);
  }, 600_000);

  it("then release: names the unfinished run first, recovers it, then releases both stages", async () => {
    await killReleaseInStaging("kill-then-release");
    const result = await repo.cli([...RELEASE, "--json", "release.json"], {
      ...cloudEnv,
      PIPELINE_RUN_ID: "after-the-kill",
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const lines = result.stderr.split("\n");
    expect(lines[0]).toMatch(
      /^unfinished deploy run kill-then-release to staging \(started [^)]+\): unverified: db \([a-z-]+\); recovering it first$/,
    );
    const recovered = lines.findIndex((line) =>
      /^recover staging: recovered run kill-then-release /.test(line),
    );
    const deploying = lines.findIndex((line) => /→ db: deploying/.test(line));
    expect(recovered).toBeGreaterThan(0);
    expect(deploying).toBeGreaterThan(recovered);
    const report = JSON.parse(
      await readFile(join(repo.root, "release.json"), "utf8"),
    ) as ReleaseReport;
    // Each stage's pre-run version is the baseline: the recovery came before the release.
    expect(
      report.stages.map((stage) => stage.deploy.services.map((service) => service.previousVersion)),
    ).toEqual([[baseline["db-staging"]], [baseline["db-production"]]]);
    for (const target of RELEASE_STAGES) {
      expect(await newestUnfinishedRun(fileJournalStore(repo.root), target)).toBeUndefined();
      expect((await journalsOf(target, "after-the-kill")).map((run) => run.ended)).toEqual([
        "deployed",
      ]);
    }
  }, 600_000);
});
