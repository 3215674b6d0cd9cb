/**
 * The step cache against Turborepo's, side by side in one run, written to the step-cache section
 * of docs/benchmarks.md.
 *
 *   pnpm exec tsx scripts/benchmark-cache.ts [--note "<what else ran on the machine>"] [--dry]
 *
 * --dry only prints the tasks Turborepo would run in the prepared clone, to check the turbo.json.
 * --unit compares only the packages' unit tests (`pipeline test --service <each service>`, with
 * the coverage gate, against `turbo run test` filtered to the same packages): a quarter of the
 * time of the full graph, for a machine too busy for four full rounds.
 *
 * Works in two throw-away clones of HEAD, one per tool: Turborepo's gets a turbo.json equivalent
 * to the step graph (one task per step, the same inputs), root scripts for the root steps and the
 * `packageManager` field Turborepo needs to see a workspace (which pnpm's frozen install in
 * `ci` would refuse). Turborepo is installed with npm in a folder of its own, never into the
 * project. Four rounds, each first `pnpm run pipeline ci` and then `turbo run` of the same tasks,
 * each change made in both clones:
 *   1. cold (both caches empty);
 *   2. warm, nothing changed;
 *   3. warm after a one-line change to a leaf service's source;
 *   4. warm after a one-line change to a shared package's source.
 * Turborepo runs no install and has no coverage gate, both of which `ci` includes. The warm
 * rounds take the median of several runs of each tool, alternating; each run of a change round
 * makes a new one-line change first.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import * as z from "zod";
import {
  buildCiSteps,
  dependentsClosure,
  discoverServices,
  INSTALL_STEP_ID,
  type ServiceCatalog,
  type Step,
} from "#core";
import { fsRepoReader } from "../pipeline/host/fs-repo-reader.js";
import { machineDescription, writeBenchmarkSection } from "./benchmark-doc.js";

const REPO = join(import.meta.dirname, "..");
/** The Turborepo release benchmarked (npm's latest when this was written). */
const TURBO_VERSION = "2.11.13";
const CONCURRENCY = "3";

const reportSchema = z.object({
  passed: z.boolean(),
  steps: z.array(z.object({ id: z.string(), status: z.string(), cached: z.boolean().optional() })),
});

interface Measured {
  wallMs: number;
  passed: boolean;
  /** Steps (tasks) replayed, and how many ran in all. */
  cached: number;
  total: number;
  load: number;
}

const seconds = (ms: number) =>
  ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;

/** A no-change rerun takes well under a second: one run of it is mostly the machine's noise. */
const NO_CHANGE_RUNS = 15;
/** Each with a change of its own; three, since a change round takes a minute or two. */
const CHANGE_RUNS = 3;

/** The run of median wall time (the runs of a round see the same inputs). */
function median(runs: readonly Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error("a round without runs");
  return middle;
}

/** The root script each root step becomes, so Turborepo can run it as `//#<script>`. */
const rootScript = (step: Step) => `ci:${step.id.replaceAll(":", "-")}`;

/**
 * Per package: `test` with its coverage as output; a package's tests depend on its workspace
 * dependencies' (`^test`), which is how Turborepo folds a shared package's change into its
 * dependents' keys. Root steps read the whole repository, as ours do (inputs ".").
 */
function turboJson(rootSteps: readonly Step[]): unknown {
  const everything = [
    "**",
    "!**/node_modules/**",
    "!**/coverage/**",
    "!.pipeline/**",
    "!.turbo/**",
  ];
  return {
    $schema: "https://turbo.build/schema.json",
    globalDependencies: ["tsconfig.base.json", "tsconfig.worker.json", "pnpm-workspace.yaml"],
    tasks: {
      test: { dependsOn: ["^test"], outputs: ["coverage/**"] },
      ...Object.fromEntries(
        rootSteps.map((step) => [
          `//#${rootScript(step)}`,
          {
            inputs: everything,
            outputs: step.coverageMap ? [`${step.coverageMap.replace(/\/[^/]+$/, "")}/**`] : [],
          },
        ]),
      ),
    },
  };
}

/**
 * pnpm, given the packageManager pin Turborepo needs, looks that pnpm up in the registry on every
 * start of a task. This registry does not publish it: each lookup cost about 50 ms, and lookups
 * at once failed tasks at random (ERR_PNPM_BAD_CONFIG_DEP). A Turborepo user's pin is published;
 * `pm-on-fail=ignore` makes these tasks start as theirs would.
 */
const TURBO_ENV = { TURBO_TELEMETRY_DISABLED: "1", pnpm_config_pm_on_fail: "ignore" };

async function prepareTurbo(clone: string, scratch: string, steps: Step[]): Promise<string> {
  // Before the packageManager field, which pnpm would try to resolve from the registry.
  await execa("pnpm", ["install", "--offline", "--frozen-lockfile"], { cwd: clone });
  const bin = join(scratch, "turbo-bin");
  await execa("npm", ["install", "--prefix", bin, "--no-save", `turbo@${TURBO_VERSION}`]);
  const rootSteps = steps.filter((step) => step.command && !step.id.startsWith("test:"));
  const manifestPath = join(clone, "package.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
  // Without it Turborepo takes the workspace for a single package. pnpm warns and runs itself.
  manifest.packageManager = `pnpm@${(await execa("pnpm", ["--version"])).stdout.trim()}`;
  for (const step of rootSteps) {
    if (step.id === INSTALL_STEP_ID || step.id === "integration") continue;
    manifest.scripts[rootScript(step)] = (step.command as string[]).join(" ");
  }
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(
    join(clone, "turbo.json"),
    JSON.stringify(
      turboJson(
        rootSteps.filter((step) => step.id !== INSTALL_STEP_ID && step.id !== "integration"),
      ),
      null,
      2,
    ),
  );
  // Committed, so that the additions are not a change for Turborepo's git-based hashing.
  await execa("git", ["add", "--all"], { cwd: clone });
  await execa(
    "git",
    ["-c", "user.email=bench@test.invalid", "-c", "user.name=bench", "commit", "-qm", "turbo"],
    { cwd: clone },
  );
  return join(bin, "node_modules/.bin/turbo");
}

async function runOurs(clone: string, scratch: string, command: string[]): Promise<Measured> {
  const report = join(scratch, "report.json");
  const load = loadavg()[0] ?? 0;
  const start = performance.now();
  const result = await execa(
    "pnpm",
    // --keep-going, as Turborepo's --continue: a failure (a timeout on a busy machine) stops
    // nothing else, so the next round replays every other step.
    ["run", "pipeline", ...command, "--keep-going", "--concurrency", CONCURRENCY, "--json", report],
    { cwd: clone, reject: false, all: true },
  );
  const wallMs = performance.now() - start;
  await appendFile(join(scratch, "ours.log"), result.all ?? "");
  const parsed = reportSchema.parse(JSON.parse(await readFile(report, "utf8")));
  const ran = parsed.steps.filter((step) => step.status === "passed" || step.status === "failed");
  return {
    wallMs,
    passed: parsed.passed,
    cached: ran.filter((step) => step.cached).length,
    total: ran.length,
    load,
  };
}

async function runTurbo(
  clone: string,
  scratch: string,
  turbo: string,
  tasks: string[],
): Promise<Measured> {
  const load = loadavg()[0] ?? 0;
  const start = performance.now();
  const result = await execa(
    turbo,
    [
      "run",
      ...tasks,
      `--concurrency=${CONCURRENCY}`,
      "--env-mode=loose",
      "--output-logs=errors-only",
      "--continue",
    ],
    { cwd: clone, reject: false, all: true, env: TURBO_ENV },
  );
  const wallMs = performance.now() - start;
  await appendFile(join(scratch, "turbo.log"), result.all ?? "");
  const [, cached = "0", total = "0"] =
    /Cached:\s+(\d+) cached, (\d+) total/.exec(result.all ?? "") ?? [];
  return {
    wallMs,
    passed: result.exitCode === 0,
    cached: Number(cached),
    total: Number(total),
    load,
  };
}

function changeTargets(catalog: ServiceCatalog): { leaf: string; shared: string } {
  const leaf = catalog.services.find(
    (service) => dependentsClosure(catalog, [service.name]).size === 0,
  );
  // A library some Worker imports, so that its change reaches tests in both scopes.
  const services = new Set(catalog.services.map((service) => service.name));
  const shared = catalog.libraries.find((library) =>
    [...dependentsClosure(catalog, [library.name]).keys()].some((name) => services.has(name)),
  );
  if (!leaf || !shared) throw new Error("needs a leaf service and a shared package to change");
  return { leaf: `${leaf.dir}/src/index.ts`, shared: `${shared.dir}/src/index.ts` };
}

interface Round {
  name: string;
  ours: Measured;
  turbo: Measured;
  /**
   * The median of ours / Turborepo's over the round's pairs of runs: each pair ran back to back,
   * on the machine as it was then, where the ratio of the two medians mixes moments.
   */
  ratio: number;
}

function medianRatio(ours: readonly Measured[], theirs: readonly Measured[]): number {
  const ratios = ours
    .map((run, index) => run.wallMs / (theirs[index]?.wallMs ?? Number.NaN))
    .sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)] ?? Number.NaN;
}

function renderSection(
  rounds: readonly Round[],
  head: string,
  ours: string,
  tasks: readonly string[],
  note: string | undefined,
): string {
  const [cold, noChange, leaf] = rounds;
  return [
    "## Step cache against Turborepo",
    "",
    `\`pnpm run pipeline ${ours}\` against \`turbo run ${tasks.join(" ")}\`, measured at ${head} on ${machineDescription()} by \`scripts/benchmark-cache.ts\`, Turborepo ${TURBO_VERSION}, both at concurrency ${CONCURRENCY}${note ? `; ${note}` : ""}. Cold is one run of each, ours first; the warm rounds are medians of alternating runs, and "ours / Turborepo" is the median of the ratios of each pair of runs.`,
    ours === "ci"
      ? "`ci` also runs the install (`pnpm install --frozen-lockfile`, never cached) and the coverage gate; Turborepo runs neither."
      : "Ours also runs the coverage gate (from the replayed maps on a hit); Turborepo has none.",
    "",
    "| round | ours | steps replayed | passed | Turborepo | tasks replayed | passed | ours / Turborepo | load before |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rounds.map(
      ({ name, ours, turbo, ratio }) =>
        `| ${name} | ${seconds(ours.wallMs)} | ${ours.cached}/${ours.total} | ${ours.passed ? "yes" : "no"} | ${seconds(turbo.wallMs)} | ${turbo.cached}/${turbo.total} | ${turbo.passed ? "yes" : "no"} | ${ratio.toFixed(2)}x | ${ours.load.toFixed(1)} |`,
    ),
    ...(cold && noChange
      ? [
          "",
          `Goals: a no-change rerun under 5% of cold: ${((100 * noChange.ours.wallMs) / cold.ours.wallMs).toFixed(1)}%; no slower than twice Turborepo's: ${noChange.ratio.toFixed(2)}x its time${leaf ? `; a leaf change at least as fast as Turborepo's: ${leaf.ratio.toFixed(2)}x its time` : ""} (medians of the pairs' ratios).`,
        ]
      : []),
    ...(rounds.length < 4 ? ["", `Incomplete: ${rounds.length} of the 4 rounds ran.`] : []),
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { note: { type: "string" }, dry: { type: "boolean" }, unit: { type: "boolean" } },
  });
  const head = (await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO })).stdout;
  const scratch = await mkdtemp(join(tmpdir(), "cache-benchmark-"));
  const clone = join(scratch, "repo");
  const turboClone = join(scratch, "turbo-repo");
  try {
    await execa("git", ["clone", "--quiet", REPO, clone]);
    await execa("git", ["clone", "--quiet", REPO, turboClone]);
    await execa("pnpm", ["install", "--offline", "--frozen-lockfile"], { cwd: clone });
    const catalog = await discoverServices(fsRepoReader(clone));
    const steps = buildCiSteps(catalog);
    const turbo = await prepareTurbo(turboClone, scratch, steps);
    // --unit: the packages' unit tests and the gate (`pipeline test --service <every service>`)
    // against `turbo run test` of the same packages.
    const unitPackages = buildCiSteps(catalog, {
      parts: ["test"],
      services: catalog.services.map((service) => service.name),
    })
      .filter((step) => step.kind === "command" && step.id.startsWith("test:"))
      .map((step) => step.id.slice("test:".length));
    const packageName = (name: string) =>
      [...catalog.services, ...catalog.libraries].find((pkg) => pkg.name === name)?.packageName ??
      name;
    const ours = values.unit
      ? ["test", ...catalog.services.flatMap((service) => ["--service", service.name])]
      : ["ci"];
    const tasks = values.unit
      ? ["test", ...unitPackages.map((name) => `--filter=${packageName(name)}`)]
      : [
          "test",
          ...steps
            .filter(
              (step) => step.command && step.id !== INSTALL_STEP_ID && !step.id.startsWith("test:"),
            )
            .map((step) => (step.id === "integration" ? "test" : rootScript(step))),
        ].filter((task, index, all) => all.indexOf(task) === index);
    const label = ours.join(" ").replace(/( --service \S+)+/, " --service <each service>");
    if (values.dry) {
      const plan = await execa(turbo, ["run", ...tasks, "--dry=json"], {
        cwd: turboClone,
        env: TURBO_ENV,
      });
      const parsed = JSON.parse(plan.stdout) as { tasks: { taskId: string; inputs: object }[] };
      for (const task of parsed.tasks) {
        console.log(`${task.taskId}: ${Object.keys(task.inputs).length} input files`);
      }
      return;
    }
    const targets = changeTargets(catalog);
    const rounds: Round[] = [];
    const round = async (name: string, change: string | undefined, runs: number) => {
      const mine: Measured[] = [];
      const theirs: Measured[] = [];
      // Alternating, so that a burst of load on the shared machine falls on both tools; a
      // change round makes a new one-line change in both clones before each run.
      for (let run = 0; run < runs; run++) {
        for (const copy of change ? [clone, turboClone] : []) {
          await appendFile(join(copy, change as string), `\n// benchmark: ${name}, run ${run}\n`);
        }
        console.log(`[benchmark] ${name}: pipeline ${label}`);
        mine.push(await runOurs(clone, scratch, ours));
        console.log(`[benchmark] ${name}: turbo run`);
        theirs.push(await runTurbo(turboClone, scratch, turbo, tasks));
      }
      rounds.push({
        name,
        ours: median(mine),
        turbo: median(theirs),
        ratio: medianRatio(mine, theirs),
      });
      // After every round: a run stopped part way still leaves its figures.
      const section = renderSection(rounds, `${head}`, label, tasks, values.note);
      await writeBenchmarkSection("step-cache", section);
      console.log(section);
    };
    await round("cold", undefined, 1);
    await round(`warm, no change (median of ${NO_CHANGE_RUNS})`, undefined, NO_CHANGE_RUNS);
    await round(
      `warm, one line in a leaf service (${targets.leaf}; median of ${CHANGE_RUNS})`,
      targets.leaf,
      CHANGE_RUNS,
    );
    await round(
      `warm, one line in a shared package (${targets.shared}; median of ${CHANGE_RUNS})`,
      targets.shared,
      CHANGE_RUNS,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
