/**
 * What running each step in its sandbox costs, written to the sandbox section of
 * docs/benchmarks.md.
 *
 *   pnpm exec tsx scripts/benchmark-sandbox.ts [--full] [--note "<what else ran on the machine>"]
 *
 * Always: for every command step of full `ci`, the time to build its sandbox (hard links of its
 * files, the node_modules mirror) and remove it, and the time to hash its files for the cache
 * key, on this checkout; the figures are medians of five rounds. These are direct and barely
 * affected by other load. With --full, also full `ci` run twice in a throw-away clone of HEAD,
 * with sandboxes (`--no-cache`) and without (`--no-sandbox`): on a shared machine the pair
 * differs by more than the sandbox costs, so the per-step figures are the ones to trust.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { buildCiSteps, discoverServices, INSTALL_STEP_ID } from "#core";
import { FileHashes } from "../pipeline/host/file-hashes.js";
import { fsRepoReader } from "../pipeline/host/fs-repo-reader.js";
import { Sandbox } from "../pipeline/host/sandbox.js";
import { readSourceTree, stepFiles } from "../pipeline/host/source-files.js";
import { loadAverage, machineDescription, writeBenchmarkSection } from "./benchmark-doc.js";

const REPO = join(import.meta.dirname, "..");
const ROUNDS = 5;

const ms = (value: number) => `${value.toFixed(0)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

interface StepCost {
  id: string;
  files: number;
  setupMs: number;
  hashMs: number;
}

async function perStep(): Promise<{ treeMs: number; steps: StepCost[] }> {
  const steps = buildCiSteps(await discoverServices(fsRepoReader(REPO))).filter(
    (step) => step.command && step.id !== INSTALL_STEP_ID,
  );
  const treeMs = median(await sequence(ROUNDS, () => elapsed(() => readSourceTree(REPO))));
  const tree = await readSourceTree(REPO);
  const costs: StepCost[] = [];
  for (const step of steps) {
    const files = stepFiles(tree, step);
    const setup = await sequence(ROUNDS, () =>
      elapsed(async () => (await Sandbox.create(REPO, step.id, files, tree.nodeModules)).dispose()),
    );
    // A fresh hasher each round: a run reads each file once.
    const hash = await sequence(ROUNDS, () =>
      elapsed(() => {
        // No memo: what a run pays for a file the last run did not hash.
        const hashes = FileHashes.none(REPO);
        return Promise.all(files.map((file) => hashes.hash(file)));
      }),
    );
    costs.push({ id: step.id, files: files.length, setupMs: median(setup), hashMs: median(hash) });
  }
  return { treeMs, steps: costs };
}

async function sequence(times: number, work: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let round = 0; round < times; round += 1) results.push(await work());
  return results;
}

interface FullRun {
  label: string;
  wallMs: number;
  passed: boolean;
  load: string;
}

async function fullPair(): Promise<FullRun[]> {
  const clone = await mkdtemp(join(tmpdir(), "sandbox-benchmark-"));
  try {
    await execa("git", ["clone", "--quiet", REPO, clone]);
    await execa("pnpm", ["install", "--offline", "--frozen-lockfile"], { cwd: clone });
    const runs: FullRun[] = [];
    for (const [label, flag] of [
      ["sandboxed (`ci --no-cache`)", "--no-cache"],
      ["in the checkout (`ci --no-sandbox`)", "--no-sandbox"],
    ] as const) {
      console.log(`[benchmark] pipeline ci ${flag}`);
      const load = loadAverage();
      const start = performance.now();
      const result = await execa("pnpm", ["run", "pipeline", "ci", flag], {
        cwd: clone,
        reject: false,
        stdio: "inherit",
      });
      runs.push({ label, wallMs: performance.now() - start, passed: result.exitCode === 0, load });
    }
    return runs;
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { full: { type: "boolean" }, note: { type: "string" } },
  });
  const head = (await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO })).stdout;
  const loadBefore = loadAverage();
  const { treeMs, steps } = await perStep();
  const full = values.full ? await fullPair() : [];
  const totalSetup = steps.reduce((sum, step) => sum + step.setupMs, 0) + treeMs;
  const totalHash = steps.reduce((sum, step) => sum + step.hashMs, 0);
  const sandboxed = full[0];
  const bare = full[1];
  const lines = [
    "## Step sandboxes (`pnpm run pipeline ci`, each step in a folder holding only its inputs)",
    "",
    `Measured at ${head} on ${machineDescription()}, load average ${loadBefore} before (${(loadavg()[0] ?? 0).toFixed(2)} after), by \`scripts/benchmark-sandbox.ts\`${values.note ? `; ${values.note}` : ""}.`,
    "",
    `Per step, median of ${ROUNDS}: building its sandbox (hard links of its files, the node_modules mirror) and removing it, and hashing its files for the cache key. The checkout is walked once per run (${ms(treeMs)}).`,
    "",
    "| step | files | sandbox | hashing |",
    "| --- | --- | --- | --- |",
    ...steps.map(
      (step) => `| ${step.id} | ${step.files} | ${ms(step.setupMs)} | ${ms(step.hashMs)} |`,
    ),
    `| **all ${steps.length} steps** | | **${ms(totalSetup)}** | **${ms(totalHash)}** |`,
    "",
    `Summed over every step, sandboxes cost ${seconds(totalSetup)} of work; a step's own sandbox delays only that step, and with ${steps.length} steps on 2 cores the sum spreads over the run.`,
    ...(sandboxed && bare
      ? [
          "",
          "Full `ci` in a throw-away clone, one run each, back to back:",
          "",
          "| run | wall time | passed | load before |",
          "| --- | --- | --- | --- |",
          ...full.map(
            (run) =>
              `| ${run.label} | ${seconds(run.wallMs)} | ${run.passed ? "yes" : "no"} | ${run.load} |`,
          ),
          "",
          `Overhead: ${(((sandboxed.wallMs - bare.wallMs) / bare.wallMs) * 100).toFixed(1)}% (the aim is under 5%). On a machine shared with other work this difference is mostly noise; the per-step figures above are the direct measure.`,
        ]
      : [
          "",
          "No full-run pair this time (run with `--full`): the machine was shared, and two full runs would measure the other load more than the sandbox.",
        ]),
  ];
  await writeBenchmarkSection("sandbox", lines.join("\n"));
  console.log(lines.join("\n"));
}

await main();
