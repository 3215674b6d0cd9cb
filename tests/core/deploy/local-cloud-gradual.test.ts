import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DeployReport, fetchHttpClient, fetchVersionMetrics } from "#core";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

// `pipeline deploy --strategy gradual` against the local control plane with real wrangler,
// real workerd and real user traffic: while the rollout runs, the test sends requests to the
// db Worker's `/traffic` route (added by the test) and records which version answered each.
// Each test deploys a new db version from whatever serves, so any runs alone or in any order.

let repo: TempRepo;
let cloud: LocalCloudHandle;

const DB_SOURCE = "services/db/src/index.ts";
const ROUTE_AT = "  override async fetch(request: Request): Promise<Response> {\n";

/**
 * db with a `/traffic` route that sleeps `delayMs`, then answers its version, and throws on
 * every `failEvery`-th request it serves (an exception: what Cloudflare's analytics count as
 * an error).
 */
function trafficRoute(delayMs: number, failEvery = 0) {
  return (text: string) =>
    text
      .replace(
        ROUTE_AT,
        `${ROUTE_AT}    if (new URL(request.url).pathname === "/traffic") {
      const arrival = ++served;
      await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
      if (${failEvery} > 0 && arrival % ${failEvery} === 0) throw new Error("canary failure");
      return Response.json({ version: this.env.VERSION?.id });
    }
`,
      )
      .replace(
        "export default class DbService",
        "let served = 0;\n\nexport default class DbService",
      );
}

beforeAll(async () => {
  repo = await copyRepo();
  cloud = await ensureLocalCloud(repo.root);
  await repo.patch(DB_SOURCE, trafficRoute(30));
  const first = await repo.cli(["deploy", "--service", "db", "--env", "local"]);
  expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  await repo.restore();
}, 180_000);

afterEach(async () => {
  await repo.restore();
});

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
});

interface Answer {
  status: number;
  version: string | undefined;
  at: number;
}

/**
 * Users: `concurrency` loops sending GET /traffic until `done` settles. Few, so the suites running
 * beside this one on two cores keep their CPU; a 10% slice still gets dozens of requests.
 */
async function usersDuring<T>(
  done: Promise<T>,
  concurrency = 3,
): Promise<{ result: T; answers: Answer[] }> {
  const url = new URL("/traffic", (await cloud.workerUrl("db")) as string);
  const answers: Answer[] = [];
  let finished = false;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!finished) {
      const response = await fetch(url);
      const body = await response.text();
      const version =
        response.status === 200 ? (JSON.parse(body) as { version?: string }).version : undefined;
      answers.push({ status: response.status, version, at: Date.now() });
    }
  });
  const result = await done.finally(() => {
    finished = true;
  });
  await Promise.all(loops);
  return { result, answers };
}

async function gradualDeploy(extra: string[] = []) {
  const started = new Date();
  const { result, answers } = await usersDuring(
    repo.cli([
      "deploy",
      "--service",
      "db",
      "--env",
      "local",
      "--strategy",
      "gradual",
      "--window",
      "4",
      "--json",
      "report.json",
      "--summary",
      "report.md",
      ...extra,
    ]),
  );
  const report = JSON.parse(await readFile(join(repo.root, "report.json"), "utf8")) as DeployReport;
  const markdown = await readFile(join(repo.root, "report.md"), "utf8");
  const db = report.services[0];
  if (db === undefined) throw new Error("no db in the report");
  return { ...result, started, answers, report, db, markdown };
}

describe("pipeline deploy --strategy gradual with real traffic", () => {
  it("stops a version failing 20% of requests at 10%; users saw errors only from that slice", async () => {
    await repo.patch(DB_SOURCE, trafficRoute(30, 5));
    const run = await gradualDeploy();
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    const { db, answers, report } = run;
    const old = db.previousVersion as string;
    const canary = db.newVersion as string;
    expect(db.steps?.map((step) => step.percentage)).toEqual([0, 10]);
    const window = db.steps?.[1]?.analysis;
    expect(window?.verdict).toBe("fail");
    expect(window?.reason).toMatch(/^error rate \d+\.\d% \(\d+\/\d+\) is above the 5\.0% ceiling/);
    expect(window?.old.errors).toBe(0);
    expect(db.rollback).toMatchObject({ outcome: "rolled-back", toVersion: old });
    expect(report.ok).toBe(false);

    // Which version served each request: successes name theirs; every failed request came from
    // the canary, as the control plane's per-version counts over the whole run show (the old
    // version threw nothing), and none came after the rollback.
    const errors = answers.filter((answer) => answer.status !== 200);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((answer) => answer.status === 500)).toBe(true);
    const totals = await fetchVersionMetrics(fetchHttpClient, {
      apiBaseUrl: cloud.apiBaseUrl,
      apiToken: cloud.wranglerEnv.CLOUDFLARE_API_TOKEN as string,
      accountId: cloud.accountId,
      scriptName: "db",
      versionIds: [canary, old],
      since: run.started,
      until: new Date(),
    });
    expect(totals[0]?.errors).toBe(errors.length);
    expect(totals[1]?.errors).toBe(0);
    // The canary only ever had the 10% slice: about a tenth of user requests, never 50%.
    const served = answers.filter((answer) => answer.status === 200);
    const canaryShare =
      (served.filter((answer) => answer.version === canary).length + errors.length) /
      answers.length;
    expect(canaryShare).toBeGreaterThan(0);
    expect(canaryShare).toBeLessThan(0.25);
    const rolledBackAt =
      Date.parse(db.steps?.[1]?.startedAt ?? "") + 4_000 + (db.rollback?.durationMs ?? 0);
    expect(errors.every((answer) => answer.at <= rolledBackAt + 1_000)).toBe(true);
    const after = await usersDuring(new Promise((resolve) => setTimeout(resolve, 500)), 2);
    expect(after.answers.every((answer) => answer.status === 200 && answer.version === old)).toBe(
      true,
    );
    expect(run.markdown).toContain("| 10% |");
    expect(run.stderr).toContain("db at 10%: fail: error rate");
  });

  it("takes a healthy version to 100% through 10% and 50%", async () => {
    await repo.patch(DB_SOURCE, trafficRoute(30));
    const run = await gradualDeploy();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const { db, answers } = run;
    expect(db.outcome).toBe("deployed");
    expect(db.steps?.map((step) => [step.percentage, step.analysis?.verdict])).toEqual([
      [0, undefined],
      [10, "pass"],
      [50, "pass"],
      [100, undefined],
    ]);
    for (const step of db.steps?.slice(1, 3) ?? []) {
      expect(step.analysis?.new.requests).toBeGreaterThan(0);
      expect(step.analysis?.old.requests).toBeGreaterThan(0);
    }
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const now = await usersDuring(new Promise((resolve) => setTimeout(resolve, 500)), 2);
    expect(now.answers.every((answer) => answer.version === db.newVersion)).toBe(true);
    expect(run.stdout).toContain("db rollout (old");
  });

  it("stops a version 5× slower than the one it replaces", async () => {
    // The old version is whichever the other tests left (all answer /traffic after 30 ms).
    await repo.patch(DB_SOURCE, trafficRoute(150));
    const run = await gradualDeploy();
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    const window = run.db.steps?.[1]?.analysis;
    expect(window?.verdict).toBe("fail");
    expect(window?.reason).toMatch(/^p95 \d+\.\d ms is above the \d+\.\d ms ceiling/);
    expect(window?.new.p95Ms).toBeGreaterThanOrEqual(150);
    expect(run.db.rollback?.outcome).toBe("rolled-back");
    expect(run.answers.every((answer) => answer.status === 200)).toBe(true);
  });
});
