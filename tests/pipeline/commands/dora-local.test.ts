import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DoraReport } from "#core";
import { copyRepo, MAIN_ROOT, type TempRepo } from "../../helpers/temp-repo.js";

// A scripted production-like history on the local control plane, made with the real wrangler
// the way the pipeline annotates its uploads (`--message "commit <sha> run <id>"`): tiny Workers
// deployed under the names of the repository's db and email services, so `pipeline dora --env
// local` reads them through each service's own wrangler.jsonc, as it would real deploys.
//   r1 (commit A, 3h old): db v1, email v1
//   r2 (commit B, 2h old): db v2, then rolled back to v1 -> failed
//   r3 (commit C, 1h old): email v2
//   a deploy of db without the annotation -> counted, no lead time
const wranglerBin = join(MAIN_ROOT, "node_modules/wrangler/bin/wrangler.js");
const HOUR = 3_600_000;

let repo: TempRepo;
let cloud: LocalCloudHandle;
let workerDir: string;
const commits: Record<string, { sha: string; time: string }> = {};
const versions: Record<string, string> = {};

async function git(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await execa("git", args, { cwd: repo.root, env });
  return result.stdout.trim();
}

async function commit(label: string, hoursAgo: number): Promise<void> {
  const time = new Date(Math.floor((Date.now() - hoursAgo * HOUR) / 1000) * 1000).toISOString();
  await git(
    [
      "-c",
      "user.name=ci",
      "-c",
      "user.email=ci@example.com",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      label,
    ],
    { GIT_AUTHOR_DATE: time, GIT_COMMITTER_DATE: time },
  );
  commits[label] = { sha: await git(["rev-parse", "HEAD"]), time };
}

/** Runs wrangler against the control plane; returns the version a deploy uploaded. */
async function wrangler(args: string[]): Promise<string | undefined> {
  const outputFile = join(workerDir, `output-${Date.now()}.ndjson`);
  const result = await execa(process.execPath, [wranglerBin, ...args], {
    cwd: workerDir,
    env: { ...cloud.wranglerEnv, WRANGLER_OUTPUT_FILE_PATH: outputFile },
    reject: false,
    all: true,
    stdin: "ignore",
  });
  expect(result.exitCode, result.all).toBe(0);
  const records = (await readFile(outputFile, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; version_id?: string });
  return records.find((record) => record.type === "deploy")?.version_id;
}

async function deploy(worker: string, label: string, origin?: { commit: string; run: string }) {
  const annotation = origin
    ? ["--message", `commit ${commits[origin.commit]?.sha} run ${origin.run}`]
    : [];
  const version = await wrangler([
    "deploy",
    "worker.js",
    "--name",
    worker,
    "--compatibility-date",
    "2025-01-01",
    ...annotation,
  ]);
  versions[label] = version as string;
}

/** The control plane's own record of a Worker's deployments, oldest first. */
async function deploymentTimes(worker: string): Promise<number[]> {
  const response = await fetch(
    `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/scripts/${worker}/deployments`,
    { headers: { authorization: `Bearer ${cloud.wranglerEnv.CLOUDFLARE_API_TOKEN}` } },
  );
  const body = (await response.json()) as { result: { deployments: { created_on: string }[] } };
  return body.result.deployments.map((d) => Date.parse(d.created_on)).sort((a, b) => a - b);
}

beforeAll(async () => {
  repo = await copyRepo();
  await git(["init", "-q"]);
  await commit("A", 3);
  await commit("B", 2);
  await commit("C", 1);
  workerDir = await mkdtemp(join(tmpdir(), "dora-workers-"));
  await writeFile(
    join(workerDir, "worker.js"),
    "export default { fetch() { return new Response('ok'); } };\n",
  );
  cloud = await ensureLocalCloud(repo.root);
  await deploy("db", "db1", { commit: "A", run: "r1" });
  await deploy("email", "email1", { commit: "A", run: "r1" });
  await deploy("db", "db2", { commit: "B", run: "r2" });
  await wrangler(["rollback", versions.db1 as string, "--name", "db", "-m", "r2 failed", "-y"]);
  await deploy("email", "email2", { commit: "C", run: "r3" });
  await deploy("db", "db3");
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
  if (workerDir) await rm(workerDir, { recursive: true, force: true });
});

describe("pipeline dora --env local, on a scripted history", () => {
  let report: DoraReport;
  let stdout: string;

  beforeAll(async () => {
    const result = await repo.cli([
      "dora",
      "--env",
      "local",
      "--since",
      "1d",
      "--json",
      "dora.json",
      "--summary",
      "dora.md",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    stdout = result.stdout;
    report = JSON.parse(await readFile(join(repo.root, "dora.json"), "utf8")) as DoraReport;
  }, 120_000);

  it("groups the versions into the four deploy runs, the rolled-back one failed", () => {
    expect(report.runs.map((run) => [run.id, run.services, run.failed])).toEqual([
      ["r1", ["db", "email"], false],
      ["r2", ["db"], true],
      ["r3", ["email"], false],
      [`db@${versions.db3}`, ["db"], false],
    ]);
    expect(report.runs.map((run) => run.commit)).toEqual([
      commits.A?.sha,
      commits.B?.sha,
      commits.C?.sha,
      undefined,
    ]);
    expect(report.rollbacks).toBe(1);
  });

  it("measures lead time from git's commit time to the control plane's deployment", async () => {
    const [db1] = await deploymentTimes("db");
    const [email1, email2] = await deploymentTimes("email");
    const r1 = report.runs[0];
    const r3 = report.runs[2];
    expect(r1?.commitTime).toBe(commits.A?.time);
    // r1 is in production when its last version, email's, serves 100%.
    expect(r1?.completedAt).toBe(new Date(Math.max(db1 ?? 0, email1 ?? 0)).toISOString());
    expect(r1?.leadTimeMs).toBe((email1 ?? 0) - Date.parse(commits.A?.time ?? ""));
    expect(r3?.leadTimeMs).toBe((email2 ?? 0) - Date.parse(commits.C?.time ?? ""));
    expect(report.leadTime).toMatchObject({
      runs: 2,
      medianMs: ((r1?.leadTimeMs ?? 0) + (r3?.leadTimeMs ?? 0)) / 2,
      band: "elite",
      excluded: { failed: 1, unannotated: 1, unknownCommit: 0, incomplete: 0 },
    });
  });

  it("measures the failed run's time to restore from its deploy to the rollback", async () => {
    const [, db2, rollback] = await deploymentTimes("db");
    expect(report.runs[1]?.restoreMs).toBe((rollback ?? 0) - (db2 ?? 0));
    expect(report.timeToRestore).toEqual({
      runs: 1,
      medianMs: (rollback ?? 0) - (db2 ?? 0),
      band: "elite",
    });
  });

  it("rates frequency and failures with their bands", () => {
    expect(report.deploymentFrequency).toEqual({ runs: 4, perDay: 4, perWeek: 28, band: "elite" });
    expect(report.changeFailureRate).toEqual({ failed: 1, runs: 4, rate: 0.25, band: "low" });
  });

  it("prints the table, and writes the same report as Markdown", async () => {
    expect(stdout).toMatch(
      /^DORA metrics for @local, last 1d \(.*: 4 deploy runs, 1 failed, 1 rollback deployment\)$/m,
    );
    expect(stdout).toMatch(/^change failure rate +25\.0% \(1 of 4 runs\) +low$/m);
    expect(stdout).toContain(`run r2 (commit ${commits.B?.sha.slice(0, 12)}) on db, deployed`);
    const markdown = await readFile(join(repo.root, "dora.md"), "utf8");
    expect(markdown).toMatch(/^## DORA metrics: @local, last 1d\n/);
    expect(markdown).toContain("| change failure rate | 25.0% (1 of 4 runs) | low |");
  });
});
