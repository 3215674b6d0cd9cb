/**
 * Canary analysis benchmark against the local control plane (real wrangler, real workerd, real
 * users), written to its section of docs/benchmarks.md:
 *   - a db version answering 500 to half its requests, rolled out gradually (the local policy:
 *     10% → 50% → 100%, 5 s windows polled every 0.6 s) while users send requests: users' error
 *     exposure before the rollback (aim under 5%) and the time from the first bad response a
 *     user got to 100% on the old version, verified (aim within one window);
 *   - what the analysis costs a healthy rollout: its telemetry reads, its windows and its bake,
 *     against an immediate deploy of the same version.
 * Run with `pnpm exec tsx scripts/benchmark-canary.ts`.
 */

import { cpus, loadavg } from "node:os";
import { ensureLocalCloud } from "@workers/local-cloud";
import {
  buildDeployPlan,
  type DeployContext,
  type DeployReport,
  discoverServices,
  formatSeconds,
  LOCAL_TARGET,
  resolveRollout,
  runDeploy,
} from "#core";
import type { CommandContext } from "../pipeline/command.js";
import { commandDeployContext } from "../pipeline/deploy/command-deploy-context.js";
import { fsRepoReader } from "../pipeline/host/fs-repo-reader.js";
import { copyRepo, type TempRepo } from "../tests/helpers/temp-repo.js";
import { writeBenchmarkSection } from "./benchmark-doc.js";

const RUNS = 3;
const LOAD_AT_START = loadavg()[0] ?? 0;
const DB_SOURCE = "services/db/src/index.ts";
const ROUTE_AT = "  override async fetch(request: Request): Promise<Response> {\n";

/** db with a `/traffic` route answering after 20 ms; 500 to every other request if `failing`. */
async function patchDb(repo: TempRepo, failing: boolean, marker: number): Promise<void> {
  await repo.restore();
  await repo.patch(DB_SOURCE, (text) =>
    text
      .replace(
        ROUTE_AT,
        `${ROUTE_AT}    if (new URL(request.url).pathname === "/traffic") {
      // build ${marker}
      const arrival = ++served;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (${failing} && arrival % 2 === 0) return Response.json({ error: "broken" }, { status: 500 });
      return Response.json({ version: this.env.VERSION?.id });
    }
`,
      )
      .replace(
        "export default class DbService",
        "let served = 0;\n\nexport default class DbService",
      ),
  );
}

interface Answer {
  status: number;
  at: number;
}

/** Three users sending GET /traffic until `done` settles; every answer with its time. */
async function usersDuring<T>(url: URL, done: Promise<T>) {
  const answers: Answer[] = [];
  let finished = false;
  const loops = Array.from({ length: 3 }, async () => {
    while (!finished) {
      const response = await fetch(url);
      await response.arrayBuffer();
      answers.push({ status: response.status, at: Date.now() });
    }
  });
  const result = await done.finally(() => {
    finished = true;
  });
  await Promise.all(loops);
  return { result, answers };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  const repo = await copyRepo();
  const cloud = await ensureLocalCloud(repo.root);
  try {
    const reader = fsRepoReader(repo.root);
    const catalog = await discoverServices(reader);
    const plan = await buildDeployPlan(reader, catalog, LOCAL_TARGET, ["db"], "db");
    let restoredAt: number | undefined;
    const command: CommandContext = {
      cwd: repo.root,
      env: process.env,
      stdout: (line) => console.log(line),
      stderr: (line) => {
        // The rollback's own verification line: db serves the old version again, healthy.
        if (line.includes("✓ db: back on")) restoredAt ??= Date.now();
        console.log(`[deploy] ${line}`);
      },
    };
    const rollout = resolveRollout(LOCAL_TARGET, { strategy: "gradual" });
    if (rollout.strategy !== "gradual") throw new Error("expected a gradual rollout");
    const immediate = await commandDeployContext(repo.root, LOCAL_TARGET, command);
    const base = await commandDeployContext(repo.root, LOCAL_TARGET, command, undefined, rollout);
    // Every telemetry read timed: what the analysis itself costs.
    const readsMs: number[] = [];
    const metrics = base.gradual?.metrics;
    if (!metrics) throw new Error("no telemetry reader");
    const gradual: DeployContext = {
      ...base,
      gradual: {
        policy: rollout.policy,
        metrics: {
          ...metrics,
          traffic: async (...args) => {
            const started = performance.now();
            try {
              return await metrics.traffic(...args);
            } finally {
              readsMs.push(performance.now() - started);
            }
          },
        },
      },
    };
    let build = 0;
    await patchDb(repo, false, build++);
    if (!(await runDeploy(immediate, plan)).ok) throw new Error("the first deploy of db failed");
    const url = new URL("/traffic", (await cloud.workerUrl("db")) as string);

    const failing: {
      report: DeployReport;
      exposure: number;
      usersExposure: number;
      toRestoreMs: number;
      window: number;
    }[] = [];
    for (let run = 1; run <= RUNS; run++) {
      await patchDb(repo, true, build++);
      restoredAt = undefined;
      const { result: report, answers } = await usersDuring(url, runDeploy(gradual, plan));
      const db = report.services[0];
      const stepsAt = Date.parse(db?.steps?.[1]?.startedAt ?? "");
      const firstBad = answers.find((answer) => answer.status >= 500)?.at;
      if (report.ok || !db?.exposure || firstBad === undefined || restoredAt === undefined) {
        throw new Error("the failing version was not stopped and rolled back");
      }
      const during = answers.filter(
        (answer) => answer.at >= stepsAt && answer.at <= (restoredAt as number),
      );
      failing.push({
        report,
        exposure: db.exposure.rate ?? 0,
        usersExposure: during.filter((answer) => answer.status >= 500).length / during.length,
        toRestoreMs: restoredAt - firstBad,
        window: db.steps?.[1]?.watch?.elapsedMs ?? 0,
      });
      console.log(
        `[benchmark] failing ${run}: exposure ${pct(failing.at(-1)?.exposure ?? 0)}, first bad → 100% old ${formatSeconds(restoredAt - firstBad)}`,
      );
    }

    const healthy: { report: DeployReport; reads: number[] }[] = [];
    const immediateRuns: DeployReport[] = [];
    for (let run = 1; run <= RUNS; run++) {
      await patchDb(repo, false, build++);
      const { result: now } = await usersDuring(url, runDeploy(immediate, plan));
      immediateRuns.push(now);
      await patchDb(repo, false, build++);
      readsMs.length = 0;
      const { result: report } = await usersDuring(url, runDeploy(gradual, plan));
      if (!report.ok) throw new Error("a healthy gradual rollout failed");
      healthy.push({ report, reads: [...readsMs] });
      console.log(
        `[benchmark] healthy ${run}: ${formatSeconds(report.durationMs)}, ${readsMs.length} reads`,
      );
    }

    const { policy } = rollout;
    const exposure = median(failing.map((run) => run.exposure));
    const toRestore = median(failing.map((run) => run.toRestoreMs));
    const stopAfter = median(failing.map((run) => run.window));
    const allReads = healthy.flatMap((run) => run.reads);
    const readCount = median(healthy.map((run) => run.reads.length));
    const readTotal = median(healthy.map((run) => run.reads.reduce((sum, ms) => sum + ms, 0)));
    const wall = (reports: DeployReport[]) => median(reports.map((report) => report.durationMs));
    const bake = median(healthy.map((run) => run.report.services[0]?.bake?.elapsedMs ?? 0));
    const sample = failing.at(-1)?.report.services[0]?.steps?.[1];
    await writeBenchmarkSection(
      "canary-benchmark",
      [
        "## Canary analysis (`pipeline deploy --strategy gradual --env @local`)",
        "",
        `Measured ${new Date().toISOString().slice(0, 10)} on this machine (${cpus().length} cores, 1-minute load average ${LOAD_AT_START.toFixed(2)} at the start; shared, so times are noisy). db redeployed with the local policy (${policy.steps.join("% → ")}%, ${formatSeconds(policy.windowMs)} windows polled every ${formatSeconds(policy.pollMs)}, minimum sample ${policy.minSample}, bake ${formatSeconds(policy.bakeMs)}), three users sending requests throughout, judged on the control plane's Workers Observability telemetry. Medians of ${RUNS} runs. Script: \`scripts/benchmark-canary.ts\`.`,
        "",
        "| a version answering 500 to 50% of requests | measured | aim |",
        "| --- | --- | --- |",
        `| users' error exposure before the rollback (the new version's 5xx / all users' requests, first split live to rollback; telemetry) | **${pct(exposure)}** (runs: ${failing.map((run) => pct(run.exposure)).join(", ")}) | under 5% (${exposure < 0.05 ? "met" : "missed"}) |`,
        `| the same, as the users counted it | ${pct(median(failing.map((run) => run.usersExposure)))} | |`,
        `| first bad response a user got → 100% on the old version, verified by health | **${formatSeconds(toRestore)}** (runs: ${failing.map((run) => formatSeconds(run.toRestoreMs)).join(", ")}) | within one window, ${formatSeconds(policy.windowMs)} (${toRestore <= policy.windowMs ? "met" : "missed"}) |`,
        `| the 10% window stopped after | ${formatSeconds(stopAfter)} of its ${formatSeconds(policy.windowMs)} | |`,
        "",
        ...(sample?.analysis
          ? [
              `The stopping window of the last run: old ${sample.analysis.old.requests} requests, ${sample.analysis.old.serverErrors} 5xx; new ${sample.analysis.new.requests} requests, ${sample.analysis.new.serverErrors} 5xx; ${sample.analysis.verdict} after ${sample.watch?.polls ?? 0} poll(s): ${sample.analysis.reason}.`,
              "",
            ]
          : []),
        "| a healthy version | wall time |",
        "| --- | --- |",
        `| immediate (\`wrangler deploy\`) | ${formatSeconds(wall(immediateRuns))} |`,
        `| gradual with the analysis | ${formatSeconds(wall(healthy.map((run) => run.report)))} |`,
        `| of which upload and 0% (health, smoke by override) | ${formatSeconds(median(healthy.map((run) => run.report.services[0]?.timings.deployMs ?? 0)))} |`,
        `| of which the traffic steps (windows and \`versions deploy\` calls) | ${formatSeconds(median(healthy.map((run) => run.report.services[0]?.timings.rolloutMs ?? 0)))} |`,
        `| of which the bake after 100% | ${formatSeconds(bake)} |`,
        `| of which telemetry reads (${readCount} per rollout, ${(median(allReads) || 0).toFixed(0)} ms each) | ${formatSeconds(readTotal)} |`,
        "",
        `What the analysis itself costs a healthy rollout is its reads: ${readCount} telemetry reads (two queries each, polled through the windows and the bake), ${formatSeconds(readTotal)} in all, against the windows' and the bake's waiting, which is the policy, not the analysis. Stopping early bounds how long users are exposed (here the failing slice served ${formatSeconds(stopAfter)} instead of the whole ${formatSeconds(policy.windowMs)} window, then the rollback); the share itself is bounded by the first step times the failure rate (${policy.steps[0]}% × 50% = ${((policy.steps[0] ?? 0) * 0.5).toFixed(0)}%), so for a version this broken a smaller first step (\`--steps 5,50,100\`) halves it.`,
      ].join("\n"),
    );
  } finally {
    await cloud.stop();
    await repo.dispose();
  }
}

await main();
