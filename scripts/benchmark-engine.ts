/**
 * `ci` on the real Dagger engine (pnpm run engine:up), cold and warm, written to its section of
 * docs/benchmarks.md beside the host runner's figures from the same run:
 *   - cold: the engine's cache emptied first (images stay built);
 *   - warm with no change, after a leaf edit, after a docs-only edit, `ci --base` after a leaf edit;
 *   - the host's `pnpm run pipeline ci` and `ci --base` on the same kind of change.
 * For each engine run it also counts the test steps that ran again (their output changed; a step
 * answered from the cache repeats its output exactly). Works in throw-away copies of this
 * checkout. Run with `pnpm exec tsx scripts/benchmark-engine.ts`; takes a long while.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { loadAverage, machineDescription, writeBenchmarkSection } from "./benchmark-doc.js";
import {
  type CallResult,
  commitAll,
  digests,
  engineCall,
  REPO_ROOT,
  repoCopy,
} from "./engine/engine-run.js";

interface Measured {
  name: string;
  seconds: number;
  ok: boolean;
  rerunTests?: string[];
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function leafEdit(root: string, note: string): Promise<void> {
  const file = join(root, "services", "gateway", "src", "index.ts");
  await writeFile(file, `${await readFile(file, "utf8")}\n// ${note}\n`);
  await commitAll(root, note);
}

async function docsEdit(root: string): Promise<void> {
  await writeFile(
    join(root, "README.md"),
    `${await readFile(join(root, "README.md"), "utf8")}\nMore docs.\n`,
  );
  await commitAll(root, "docs only");
}

/** Test steps whose output differs from the previous run's: they ran again. */
function rerunTests(previous: CallResult, now: CallResult): string[] {
  const before = digests(previous);
  return now.steps
    .filter((step) => step.id.startsWith("test:") && before[step.id] !== step.outputSha256)
    .map((step) => step.id);
}

async function engineRuns(root: string): Promise<Measured[]> {
  const results: Measured[] = [];
  let previous: CallResult | undefined;
  const run = async (name: string, args: string[]) => {
    const { value, seconds } = await timed(() => engineCall(root, args));
    if (value.exitCode !== 0) {
      console.error(value.stdout, value.stderr);
    }
    results.push({
      name,
      seconds,
      ok: value.exitCode === 0,
      ...(previous ? { rerunTests: rerunTests(previous, value) } : {}),
    });
    previous = value;
    console.log(
      `engine ${name}: ${seconds.toFixed(1)} s (${value.exitCode === 0 ? "passed" : "FAILED"})`,
    );
  };
  await execa("pnpm", ["run", "engine:down", "--", "--reset-cache"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  await execa("pnpm", ["run", "engine:up"], { cwd: REPO_ROOT, stdio: "inherit" });
  await run("cold (empty engine cache)", ["ci"]);
  await run("warm, no change", ["ci"]);
  await leafEdit(root, "leaf edit 1");
  await run("after an edit to leaf service gateway", ["ci"]);
  await docsEdit(root);
  await run("after a docs-only edit", ["ci"]);
  await leafEdit(root, "leaf edit 2");
  await run("`ci --base HEAD~1` after a leaf edit", ["ci", "--base", "HEAD~1"]);
  return results;
}

async function hostRuns(root: string): Promise<Measured[]> {
  await execa("pnpm", ["install", "--offline", "--frozen-lockfile"], { cwd: root });
  const results: Measured[] = [];
  const run = async (name: string, args: string[]) => {
    const { value, seconds } = await timed(() =>
      execa("pnpm", ["run", "pipeline", ...args], { cwd: root, reject: false }),
    );
    results.push({ name, seconds, ok: value.exitCode === 0 });
    console.log(`host ${name}: ${seconds.toFixed(1)} s`);
  };
  await run("full `ci`", ["ci"]);
  await leafEdit(root, "leaf edit");
  await run("`ci --base HEAD~1` after a leaf edit", ["ci", "--base", "HEAD~1"]);
  return results;
}

function row(run: Measured, cold: number): string {
  const reruns =
    run.rerunTests === undefined
      ? ""
      : run.rerunTests.length === 0
        ? "none"
        : run.rerunTests.join(", ");
  const share = `${Math.round((run.seconds / cold) * 100)}%`;
  return `| ${run.name} | ${run.seconds.toFixed(1)} s${run.ok ? "" : " (FAILED)"} | ${share} | ${reruns} |`;
}

const load = loadAverage();
const engineVersion: string = JSON.parse(
  await readFile(join(REPO_ROOT, "dagger.json"), "utf8"),
).engineVersion;
const commit = (await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT })).stdout;
const engineRepo = await repoCopy();
const hostRepo = await repoCopy();
try {
  const engine = await engineRuns(engineRepo.root);
  const host = await hostRuns(hostRepo.root);
  const cold = engine[0]?.seconds ?? 1;
  const hostFull = host[0]?.seconds ?? 1;
  await writeBenchmarkSection(
    "engine-ci-benchmark",
    [
      "## `ci` on a real Dagger engine (`pnpm run engine:ci`)",
      "",
      `Measured by \`scripts/benchmark-engine.ts\` at commit ${commit}, ${new Date().toISOString()}, on ${machineDescription()}; 1-minute load average ${load} at the start. The engine is Dagger ${engineVersion} built here (\`pnpm run engine:up\`), its cache emptied before the cold run; the module's pipeline runs through \`connection()\` (see README). "Test steps run again" compares each test step's output with the previous run's: vitest prints its start time, so equal output means the engine answered from its cache.`,
      "",
      "| engine run | wall time | of cold | test steps run again |",
      "| --- | --- | --- | --- |",
      ...engine.map((run) => row(run, cold)),
      "",
      "| host run (`pnpm run pipeline`) | wall time | of host full | |",
      "| --- | --- | --- | --- |",
      ...host.map((run) => row(run, hostFull)),
      "",
      "Goals: warm with no change under 10% of cold; after a leaf edit under 40% of cold; a docs-only edit reruns no test step.",
    ].join("\n"),
  );
} finally {
  await engineRepo.remove();
  await hostRepo.remove();
}
