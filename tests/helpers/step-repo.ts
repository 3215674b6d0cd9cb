import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import {
  buildCiSteps,
  type CiPart,
  discoverServices,
  type RunResult,
  runSteps,
  type Step,
} from "#core";
import { FileHashes } from "../../pipeline/host/file-hashes.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { hostStepExecutor } from "../../pipeline/host/sandboxed-executor.js";
import { StepCache } from "../../pipeline/host/step-cache.js";
import { tempDir } from "./fixture-repo.js";
import { FIXTURES } from "./paths.js";

/**
 * A service's test, as a plain Node script: it checks a value it imports from @workers/db
 * through the workspace link in node_modules, as a Worker's test imports a shared package, and
 * writes an istanbul coverage map of its `src/index.ts` with the statement hits in `hits.json`
 * (all four hit without one).
 */
const testScript = (
  service: string,
  imports: string,
) => `import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
${imports}
const hits = existsSync("hits.json") ? JSON.parse(readFileSync("hits.json", "utf8")) : [1, 1, 1, 1];
const file = join(process.cwd(), "src/index.ts");
const at = (line) => ({ start: { line, column: 0 }, end: { line, column: 10 } });
const byIndex = (make) => Object.fromEntries(hits.map((hit, index) => [String(index), make(hit, index)]));
mkdirSync("coverage", { recursive: true });
writeFileSync("coverage/coverage-final.json", JSON.stringify({
  [file]: { path: file, statementMap: byIndex((_, i) => at(i + 1)), s: byIndex((hit) => hit),
    fnMap: {}, f: {}, branchMap: {}, b: {} },
}));
console.log("${service}: 1 test passed");
`;

const DB_CHECK = `import { value } from "@workers/db/src/value.mjs";
console.log(\`@workers/db from \${import.meta.resolve("@workers/db/src/value.mjs")}\`);
if (value !== 42) {
  console.error(\`expected 42 from @workers/db, got \${value}\`);
  process.exit(1);
}`;

/**
 * The fixture workspace (db <- auth <- gateway) with runnable tests for db and auth: auth's
 * imports @workers/db/src/value.mjs, so a change there must rerun it.
 */
export async function stepRepo(): Promise<string> {
  const repo = await tempDir("step-repo-");
  await cp(join(FIXTURES, "workspace"), repo, { recursive: true });
  for (const service of ["db", "auth"]) {
    const manifestPath = join(repo, "services", service, "package.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
    manifest.scripts.test = "node test.mjs --coverage";
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    await writeFile(
      join(repo, "services", service, "test.mjs"),
      testScript(service, service === "auth" ? DB_CHECK : ""),
    );
  }
  await writeFile(join(repo, "services/db/src/value.mjs"), "export const value = 42;\n");
  // Installed, as a checkout is before its steps run (pnpm refuses to run scripts in a sandbox
  // whose workspace was never installed, see pipeline/host/sandboxed-executor.ts): auth's
  // workspace dependency becomes pnpm's relative link to services/db.
  await execa("pnpm", ["install", "--offline"], { cwd: repo });
  return repo;
}

/** auth's tests and db's (which it depends on), with or without the coverage gate. */
export async function authSteps(repo: string, parts: CiPart[] = ["test"]): Promise<Step[]> {
  const catalog = await discoverServices(fsRepoReader(repo));
  return buildCiSteps(catalog, { parts, services: ["auth"] });
}

export interface HostRun {
  run: RunResult;
  /** Every step's output, by step id. */
  output: Map<string, string>;
  warnings: string[];
}

export async function runOnHost(
  repo: string,
  steps: Step[],
  options: { sandbox?: boolean; cache?: StepCache; env?: NodeJS.ProcessEnv } = {},
): Promise<HostRun> {
  const output = new Map<string, string>();
  const warnings: string[] = [];
  // As a command does: the file hashes the last run saved, saved again after this one.
  const cache = options.cache && {
    steps: options.cache,
    hashes: await FileHashes.load(repo),
  };
  const executor = hostStepExecutor(repo, {
    sandbox: options.sandbox ?? true,
    ...(cache ? { cache } : {}),
    warn: (line) => warnings.push(line),
    env: options.env ?? process.env,
  });
  const run = await runSteps(steps, executor, {
    concurrency: 2,
    keepGoing: true,
    onEvent: (event) => {
      if (event.type === "output") {
        output.set(event.step.id, (output.get(event.step.id) ?? "") + event.text);
      }
    },
  });
  await cache?.hashes.save();
  return { run, output, warnings };
}

export function repoCache(repo: string, maxBytes = 2 ** 30): StepCache {
  return new StepCache(repo, maxBytes);
}

export function statusOf(run: RunResult, id: string): string {
  const step = run.steps.find((candidate) => candidate.id === id);
  return `${step?.status}${step?.cached ? " (cached)" : ""}`;
}
