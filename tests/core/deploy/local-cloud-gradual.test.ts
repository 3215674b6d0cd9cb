import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cloudflareApiFromEnv,
  type DeployReport,
  type DoraReport,
  fetchHttpClient,
  telemetryReader,
} from "#core";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

// `pipeline deploy --strategy gradual` against the local control plane with real wrangler,
// real workerd and real user traffic: while the rollout runs, users send authenticated
// requests to two routes the test adds to the db Worker, `/traffic` and `/traffic/slow`, and
// record what each answered. The canary is judged on the control plane's Workers
// Observability telemetry, the same query as on Cloudflare. Assertions are on counts, never
// on durations: the machine is shared. Each test deploys a new db version from whatever serves
// (always a healthy one), so any test runs alone or in any order.

let repo: TempRepo;
let cloud: LocalCloudHandle;

const DB_SOURCE = "services/db/src/index.ts";
const ROUTE_AT = "  override async fetch(request: Request): Promise<Response> {\n";
const TOKEN = "user-token";

interface Fault {
  /** Answer 500 to 3 requests in 10. */
  status500?: boolean;
  /** Throw on 3 requests in 10 (an exception: workerd answers 500). */
  throws?: boolean;
  /** `/traffic/slow` takes this long instead of 60 ms. */
  slowRouteMs?: number;
  /** The auth check compares against the wrong token: every request gets a 401. */
  brokenAuth?: boolean;
}

/** db with the two user routes, healthy unless `fault` says otherwise. */
function trafficRoutes(fault: Fault = {}) {
  return (text: string) =>
    text
      .replace(
        ROUTE_AT,
        `${ROUTE_AT}    const path = new URL(request.url).pathname;
    if (path === "/traffic" || path === "/traffic/slow") {
      const arrival = ++served;
      const delay = path === "/traffic/slow" ? ${fault.slowRouteMs ?? 60} : 60;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (request.headers.get("authorization") !== "Bearer ${fault.brokenAuth ? "someone-else" : TOKEN}") {
        return Response.json({ error: "unauthorized" }, { status: 401 });
      }
      if (${Boolean(fault.status500)} && arrival % 10 < 3) {
        return Response.json({ error: "broken" }, { status: 500 });
      }
      if (${Boolean(fault.throws)} && arrival % 10 < 3) throw new Error("canary failure");
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
  await repo.patch(DB_SOURCE, trafficRoutes());
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
}

/**
 * Users: three loops sending GET /traffic and /traffic/slow in turn until `done` settles. Few,
 * so the suites running beside this one keep their CPU; a 20% slice still gets dozens.
 */
async function usersDuring<T>(done: Promise<T>): Promise<{ result: T; answers: Answer[] }> {
  const base = (await cloud.workerUrl("db")) as string;
  const answers: Answer[] = [];
  let finished = false;
  const loops = Array.from({ length: 3 }, async (_, loop) => {
    for (let sent = loop; !finished; sent++) {
      const url = new URL(sent % 2 ? "/traffic/slow" : "/traffic", base);
      const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = await response.text();
      const version =
        response.status === 200 ? (JSON.parse(body) as { version?: string }).version : undefined;
      answers.push({ status: response.status, version });
    }
  });
  const result = await done.finally(() => {
    finished = true;
  });
  await Promise.all(loops);
  return { result, answers };
}

async function gradualDeploy() {
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
      "--steps",
      "20,100",
      "--window",
      "4",
      "--bake",
      "2",
      "--json",
      "report.json",
      "--summary",
      "report.md",
    ]),
  );
  const report = JSON.parse(await readFile(join(repo.root, "report.json"), "utf8")) as DeployReport;
  const db = report.services[0];
  if (db === undefined) throw new Error("no db in the report");
  return { ...result, started, answers, report, db };
}

/** What a failed canary must end as: back on the old version, verified, with an incident. */
function expectRolledBack(run: Awaited<ReturnType<typeof gradualDeploy>>) {
  expect(run.exitCode, run.stdout + run.stderr).toBe(1);
  const { db, report } = run;
  expect(db.steps?.map((step) => step.percentage)).toEqual([0, 20]);
  expect(db.steps?.[1]?.analysis?.verdict).toBe("fail");
  expect(db.rollback).toMatchObject({ outcome: "rolled-back", toVersion: db.previousVersion });
  expect(db.rollback?.health?.ok).toBe(true);
  expect(report.incident?.title).toMatch(
    /^Deploy to @local rolled back: db failed canary analysis/,
  );
  expect(run.stdout + run.stderr).toContain("incident issue (filed by the deploy workflow's");
  expect(db.exposure?.requests).toBeGreaterThan(0);
  // Every answer users got after the run came from the old version.
  return db.steps?.[1]?.analysis;
}

describe("pipeline deploy --strategy gradual with real traffic", () => {
  it("rolls back a version answering 500 to 30% of requests; users' errors all came from it", async () => {
    await repo.patch(DB_SOURCE, trafficRoutes({ status500: true }));
    const run = await gradualDeploy();
    const analysis = expectRolledBack(run);
    expect(analysis?.reason).toMatch(/^5xx \d+\.\d% \(\d+\/\d+, 0 exceptions\) is above/);
    expect(analysis?.old.serverErrors).toBe(0);
    const errors = run.answers.filter((answer) => answer.status === 500).length;
    expect(errors).toBeGreaterThan(0);
    // The telemetry's count of the new version's 5xx over the run is exactly what users received;
    // the report's exposure counts from the split going live, so at most that.
    const [canary, old] = await telemetryReader(
      fetchHttpClient,
      cloudflareApiFromEnv(cloud.wranglerEnv),
      { local: true },
    ).traffic(
      "db",
      [run.db.newVersion as string, run.db.previousVersion as string],
      run.started,
      new Date(),
    );
    expect(canary?.serverErrors).toBe(errors);
    expect(old?.serverErrors).toBe(0);
    expect(run.db.exposure?.newVersionErrors).toBeGreaterThan(0);
    expect(run.db.exposure?.newVersionErrors).toBeLessThanOrEqual(errors);
    expect(run.db.exposure?.rate).toBe(
      (run.db.exposure?.newVersionErrors ?? 0) / (run.db.exposure?.requests ?? 1),
    );
    expect(run.answers.every((answer) => answer.status === 200 || answer.status === 500)).toBe(
      true,
    );
    // DORA reads the rollback from the deployment history: a failed change, with its restore.
    const dora = await repo.cli(["dora", "--env", "local", "--since", "1d", "--json", "dora.json"]);
    expect(dora.exitCode, dora.stderr).toBe(0);
    const metrics = JSON.parse(await readFile(join(repo.root, "dora.json"), "utf8")) as DoraReport;
    const failed = metrics.runs.find((entry) => entry.services.includes("db") && entry.failed);
    expect(failed?.restoreMs).toBeGreaterThan(0);
    expect(metrics.changeFailureRate.failed).toBeGreaterThanOrEqual(1);
  });

  it("rolls back a version throwing on 30% of requests, counted as exceptions", async () => {
    await repo.patch(DB_SOURCE, trafficRoutes({ throws: true }));
    const run = await gradualDeploy();
    const analysis = expectRolledBack(run);
    expect(analysis?.new.exceptions).toBeGreaterThan(0);
    expect(analysis?.new.exceptions).toBe(analysis?.new.serverErrors);
    const errors = run.answers.filter((answer) => answer.status === 500).length;
    expect(run.db.exposure?.newVersionErrors).toBeGreaterThan(0);
    expect(run.db.exposure?.newVersionErrors).toBeLessThanOrEqual(errors);
  });

  it("rolls back a version 5× slower on one route only, on its p95", async () => {
    await repo.patch(DB_SOURCE, trafficRoutes({ slowRouteMs: 300 }));
    const run = await gradualDeploy();
    const analysis = expectRolledBack(run);
    expect(analysis?.reason).toMatch(/^p95 \d+\.\d ms is above the \d+\.\d ms ceiling/);
    expect(analysis?.checks.find((check) => check.check === "5xx-ceiling")?.verdict).toBe("pass");
    expect(run.db.exposure?.newVersionErrors).toBe(0);
    expect(run.answers.every((answer) => answer.status === 200)).toBe(true);
  });

  it("rolls back a version whose auth check fails: a 401 spike the old version does not have", async () => {
    await repo.patch(DB_SOURCE, trafficRoutes({ brokenAuth: true }));
    const run = await gradualDeploy();
    const analysis = expectRolledBack(run);
    expect(analysis?.reason).toMatch(/^4xx \d+\.\d% \(\d+\/\d+\) vs old 0\.0% \(0\/\d+\), p=/);
    const refused = run.answers.filter((answer) => answer.status === 401).length;
    expect(refused).toBeGreaterThan(0);
    expect(run.db.exposure?.newVersionClientErrors).toBeGreaterThan(0);
    expect(run.db.exposure?.newVersionClientErrors).toBeLessThanOrEqual(refused);
    expect(run.db.exposure?.newVersionErrors).toBe(0);
  });

  it("takes a healthy version to 100% and bakes it against the old version's baseline", async () => {
    await repo.patch(DB_SOURCE, trafficRoutes());
    const run = await gradualDeploy();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const { db, answers } = run;
    expect(db.outcome).toBe("deployed");
    expect(db.steps?.map((step) => [step.percentage, step.analysis?.verdict])).toEqual([
      [0, undefined],
      [20, "pass"],
      [100, undefined],
    ]);
    const window = db.steps?.[1];
    expect(window?.analysis?.new.requests).toBeGreaterThanOrEqual(20);
    expect(window?.analysis?.old.requests).toBeGreaterThanOrEqual(20);
    expect(window?.watch).toMatchObject({ stoppedEarly: false, sampleInterval: 1 });
    expect(db.bake?.verdict).not.toBe("fail");
    expect(db.bake?.analysis.new.requests).toBeGreaterThan(0);
    expect(run.report.incident).toBeUndefined();
    expect(db.exposure).toMatchObject({ newVersionErrors: 0, rate: 0 });
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.some((answer) => answer.version === db.newVersion)).toBe(true);
    expect(run.stdout).toContain("users' error exposure: 0 errors from the new version");
  });
});
