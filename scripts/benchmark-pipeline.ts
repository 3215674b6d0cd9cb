/**
 * Benchmarks `pnpm run pipeline ci` and writes the figures to the pipeline section of
 * docs/benchmarks.md. It works in a throw-away clone of HEAD, so the commit it makes for the
 * leaf-change run and the other engineers' uncommitted work never meet.
 *
 *   pnpm exec tsx scripts/benchmark-pipeline.ts
 *
 * Measured: full `ci` wall time against the sum of its step times and its critical path;
 * `ci --base HEAD~1` after a change to one leaf service against full `ci`; and the pipeline's
 * overhead, wall time minus the critical path of the same commands run bare, one at a time.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { dependentsClosure } from "../dagger/src/core/graph.js";
import { discoverServices } from "../dagger/src/core/services/discover.js";
import { buildCiSteps, type Step } from "../dagger/src/core/steps.js";
import { fsRepoReader } from "../pipeline/host/fs-repo-reader.js";

const REPO = join(import.meta.dirname, "..");
const DOC = join(REPO, "docs/benchmarks.md");
const START = "<!-- pipeline-benchmark:start -->";
const END = "<!-- pipeline-benchmark:end -->";

const reportSchema = z.object({
  passed: z.boolean(),
  durationMs: z.number(),
  steps: z.array(z.object({ id: z.string(), status: z.string(), durationMs: z.number() })),
});
type Report = z.infer<typeof reportSchema>;

interface PipelineRun {
  wallMs: number;
  report: Report;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

/** Longest chain of `needs` weighted by each step's duration: the best unlimited cores could do. */
function criticalPath(
  steps: Step[],
  durations: Map<string, number>,
): { ms: number; path: string[] } {
  const memo = new Map<string, { ms: number; path: string[] }>();
  const longest = (id: string): { ms: number; path: string[] } => {
    const known = memo.get(id);
    if (known) {
      return known;
    }
    const step = steps.find((candidate) => candidate.id === id);
    const before = (step?.needs ?? [])
      .map(longest)
      .reduce((best, next) => (next.ms > best.ms ? next : best), { ms: 0, path: [] as string[] });
    const result = { ms: before.ms + (durations.get(id) ?? 0), path: [...before.path, id] };
    memo.set(id, result);
    return result;
  };
  return steps
    .map((step) => longest(step.id))
    .reduce((best, next) => (next.ms > best.ms ? next : best), { ms: 0, path: [] as string[] });
}

async function runPipeline(
  clone: string,
  reports: string,
  args: string[],
  label: string,
): Promise<PipelineRun> {
  // Outside the clone: an untracked report there would count as a change for `ci --base`.
  const reportFile = join(reports, `${label}.json`);
  console.log(`[benchmark] pnpm run pipeline ${args.join(" ")}`);
  const started = performance.now();
  // A failing step still yields timings; the doc records the outcome next to them.
  await execa("pnpm", ["run", "pipeline", ...args, "--keep-going", "--json", reportFile], {
    cwd: clone,
    reject: false,
    stdio: "inherit",
  });
  const wallMs = performance.now() - started;
  return { wallMs, report: reportSchema.parse(JSON.parse(await readFile(reportFile, "utf8"))) };
}

async function runBare(clone: string, steps: Step[]): Promise<Map<string, number>> {
  const durations = new Map<string, number>();
  for (const step of steps) {
    const [file, ...args] = step.command ?? [];
    if (file === undefined) {
      durations.set(step.id, 0);
      continue;
    }
    console.log(`[benchmark] bare: ${step.command?.join(" ")}`);
    const started = performance.now();
    await execa(file, args, { cwd: clone, reject: false, stdio: "ignore" });
    durations.set(step.id, performance.now() - started);
  }
  return durations;
}

function stepDurations(report: Report): Map<string, number> {
  return new Map(report.steps.map((step) => [step.id, step.durationMs]));
}

async function writeSection(section: string): Promise<void> {
  const current = await readFile(DOC, "utf8").catch(() => "# Benchmarks\n");
  const block = `${START}\n${section}\n${END}`;
  const next =
    current.includes(START) && current.includes(END)
      ? current.slice(0, current.indexOf(START)) +
        block +
        current.slice(current.indexOf(END) + END.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(DOC, next);
}

async function main(): Promise<void> {
  const head = (await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO })).stdout;
  const clone = await mkdtemp(join(tmpdir(), "pipeline-benchmark-"));
  const reports = await mkdtemp(join(tmpdir(), "pipeline-benchmark-reports-"));
  try {
    await execa("git", ["clone", "--quiet", REPO, clone]);
    console.log("[benchmark] installing the clone's dependencies from the local store");
    await execa("pnpm", ["install", "--offline", "--frozen-lockfile"], {
      cwd: clone,
      stdio: "inherit",
    });

    const catalog = await discoverServices(fsRepoReader(clone));
    const steps = buildCiSteps(catalog);
    const leaf = catalog.services.find(
      (service) => dependentsClosure(catalog, [service.name]).size === 0,
    );
    if (!leaf) {
      throw new Error("no leaf service (one nothing depends on) to change");
    }
    const loadBefore = loadavg()[0] ?? 0;

    const full = await runPipeline(clone, reports, ["ci"], "full");
    const fullSteps = stepDurations(full.report);
    const fullCritical = criticalPath(steps, fullSteps);
    const stepSum = [...fullSteps.values()].reduce((sum, ms) => sum + ms, 0);

    await writeFile(
      join(clone, leaf.dir, "benchmark-change.ts"),
      "export const benchmarkChange = 1;\n",
    );
    await execa("git", ["add", "--all", leaf.dir], { cwd: clone });
    await execa(
      "git",
      [
        "-c",
        "user.name=benchmark",
        "-c",
        "user.email=benchmark@invalid",
        "commit",
        "--quiet",
        "-m",
        `touch ${leaf.name}`,
      ],
      { cwd: clone },
    );
    const affected = await runPipeline(clone, reports, ["ci", "--base", "HEAD~1"], "affected");

    const bare = await runBare(clone, steps);
    const bareCritical = criticalPath(steps, bare);
    const bareSum = [...bare.values()].reduce((sum, ms) => sum + ms, 0);
    const overhead = full.wallMs - bareCritical.ms;

    const cpu = cpus()[0]?.model ?? "unknown CPU";
    const rows = steps.map((step) => [
      step.id,
      full.report.steps.find((result) => result.id === step.id)?.status ?? "-",
      seconds(fullSteps.get(step.id) ?? 0),
      seconds(bare.get(step.id) ?? 0),
    ]);
    const section = [
      "## Pipeline (`pnpm run pipeline ci` on the host)",
      "",
      `Measured by \`scripts/benchmark-pipeline.ts\` at commit ${head}, ${new Date().toISOString()}, in a fresh clone`,
      `(dependencies installed offline from the pnpm store before timing). Machine: ${availableParallelism()} cores`,
      `(${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, concurrency ${availableParallelism()};`,
      `1-minute load average ${loadBefore.toFixed(1)} at the start: other engineers' work shared the cores, so absolute`,
      "times are noisy; the ratios are the point.",
      "",
      "| measure | value |",
      "| --- | --- |",
      `| full \`ci\` wall time (process, start-up included) | ${seconds(full.wallMs)} (${full.report.passed ? "passed" : "some step failed"}) |`,
      `| of which runner start-up and reports (process wall - scheduler wall) | ${seconds(full.wallMs - full.report.durationMs)} |`,
      `| sum of its step times (one-at-a-time cost) | ${seconds(stepSum)} |`,
      `| its critical path (unlimited cores) | ${seconds(fullCritical.ms)}: ${fullCritical.path.join(" -> ")} |`,
      `| parallel speed-up (sum / wall) | ${(stepSum / full.wallMs).toFixed(2)}x |`,
      `| \`ci --base HEAD~1\` after a change to leaf service \`${leaf.name}\` | ${seconds(affected.wallMs)} = ${percent(affected.wallMs, full.wallMs)} of full (target < 40%); ran ${affected.report.steps.map((step) => step.id).join(", ")} |`,
      `| same commands run bare, one at a time (sum) | ${seconds(bareSum)} |`,
      `| critical path of the bare commands | ${seconds(bareCritical.ms)}: ${bareCritical.path.join(" -> ")} |`,
      `| overhead = full wall - bare critical path | ${seconds(overhead)} = ${percent(overhead, bareCritical.ms)} of the critical path (target < 10%) |`,
      "",
      "Per step (pipeline run, concurrent with other steps, against bare and alone):",
      "",
      "| step | status | in pipeline | bare, alone |",
      "| --- | --- | --- | --- |",
      ...rows.map((row) => `| ${row.join(" | ")} |`),
      "",
      `With ${availableParallelism()} cores the wall time cannot reach the critical path: the "overhead" above is mostly`,
      "steps waiting for a core (and running slower while sharing one), not the runner itself. The runner's own cost is",
      "start-up (tsx, discovery) plus the per-step difference between the two last columns.",
    ].join("\n");
    await writeSection(section);
    console.log(section);
  } finally {
    await rm(clone, { recursive: true, force: true });
    await rm(reports, { recursive: true, force: true });
  }
}

await main();
