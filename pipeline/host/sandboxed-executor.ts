import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type CoverageMap,
  INSTALL_STEP_ID,
  type Step,
  type StepExecutor,
  type StepIo,
  type StepOutcome,
  stepOutputDirs,
} from "#core";
import { execaExecutor } from "./execa-executor.js";
import type { FileHashes } from "./file-hashes.js";
import type { StepProcessGroups } from "./run-processes.js";
import { Sandbox } from "./sandbox.js";
import { readSourceTree, type SourceTree, stepFiles } from "./source-files.js";
import type { StepCache } from "./step-cache.js";
import { type KeyContext, readKeyContext, stepCacheKey } from "./step-cache-key.js";
import { undeclaredReads } from "./undeclared-reads.js";

/**
 * pnpm checks before each script that node_modules matches the workspace, by the projects'
 * absolute paths it recorded at install: from a sandbox every path differs, so it installed again
 * in every step, writing through the mirrored node_modules into the checkout's (one such install
 * relinked the checkout's `.bin/node` into a sandbox that was then deleted), and spending seconds
 * a step. The sandbox runs on the checkout's install, as a container runs on its install layer;
 * the step cache keys on that install's own record (see step-cache-key.ts), so a step that passed
 * on a stale install is never replayed for a fresh one.
 */
const SANDBOX_ENV = { pnpm_config_verify_deps_before_run: "false" };

export interface HostExecutorOptions {
  /** Run each step in a folder holding only its inputs (default); false: in the checkout. */
  sandbox: boolean;
  /**
   * Replay passed steps from here and record new passes, keyed with `hashes`; absent: run
   * everything.
   */
  cache?: { steps: StepCache; hashes: FileHashes };
  /** One line to the user (a corrupt cache entry, an entry that could not be saved). */
  warn(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Where each step's process group is told and marked; absent: steps are plain children. */
  groups?: StepProcessGroups;
}

/**
 * Runs each step the way its container would: in a sandbox holding exactly its inputs, then
 * copies its outputs (coverage) back to the checkout. With a cache, a step whose inputs, tools,
 * environment and command match a passed run is replayed instead. Only sandboxed steps are
 * cached: without the sandbox an undeclared read could make a hit false. The install runs in the
 * checkout, since it writes the node_modules every sandbox links to.
 */
export function hostStepExecutor(repoRoot: string, options: HostExecutorOptions): StepExecutor {
  const inCheckout = execaExecutor(repoRoot, options.groups);
  // Read when the first sandboxed step starts, after the install has written node_modules.
  let tree: Promise<SourceTree> | undefined;
  let keyContext: Promise<KeyContext> | undefined;
  return {
    async execute(step, io) {
      if (!options.sandbox || step.id === INSTALL_STEP_ID) {
        return inCheckout.execute(step, io);
      }
      tree ??= readSourceTree(repoRoot);
      const { nodeModules } = await tree;
      const files = stepFiles(await tree, step);
      const { cache } = options;
      if (cache === undefined) {
        return runInSandbox(repoRoot, step, files, nodeModules, io, options.groups);
      }
      keyContext ??= readKeyContext(repoRoot, options.env);
      const key = await stepCacheKey(
        step,
        files,
        (path) => cache.hashes.hash(path),
        await keyContext,
      );
      const entry = await cache.steps.read(key, options.warn);
      if (entry) {
        io.onOutput(entry.log);
        const { coverageMap, coverageText } = entry;
        if (coverageText !== undefined && step.coverageMap) {
          await writeCheckoutFile(repoRoot, step.coverageMap, coverageText);
        }
        return {
          exitCode: 0,
          logTail: entry.logTail,
          cached: true,
          ...(coverageMap ? { coverageMap } : {}),
        };
      }
      const startedAt = Date.now();
      let log = "";
      const outcome = await runInSandbox(
        repoRoot,
        step,
        files,
        nodeModules,
        {
          onOutput(text) {
            log += text;
            io.onOutput(text);
          },
        },
        options.groups,
      );
      if (outcome.exitCode === 0) {
        await cache.steps
          .write(key, {
            stepId: step.id,
            command: step.command ?? [],
            createdAt: new Date().toISOString(),
            durationMs: Date.now() - startedAt,
            log,
            logTail: outcome.logTail,
            ...(outcome.coverageMap ? { coverageMap: outcome.coverageMap } : {}),
          })
          .catch((error: unknown) => {
            options.warn(`could not save ${step.id} in the cache: ${String(error)}`);
          });
      }
      return outcome;
    },
  };
}

async function runInSandbox(
  repoRoot: string,
  step: Step,
  files: readonly string[],
  nodeModules: readonly string[],
  io: StepIo,
  groups: StepProcessGroups | undefined,
): Promise<StepOutcome> {
  const sandbox = await Sandbox.create(repoRoot, step.id, files, nodeModules);
  try {
    let log = "";
    const outcome = await execaExecutor(sandbox.dir, groups, SANDBOX_ENV).execute(step, {
      onOutput(text) {
        log += text;
        io.onOutput(text);
      },
    });
    await sandbox.copyBack(stepOutputDirs(step));
    await sandbox.keepToolCaches();
    const coverageMap = outcome.coverageMap && inCheckout(sandbox, outcome.coverageMap);
    if (coverageMap && step.coverageMap) {
      await writeCheckoutFile(repoRoot, step.coverageMap, JSON.stringify(coverageMap));
    }
    const hints =
      outcome.exitCode === 0 ? [] : await undeclaredReads(log, step, sandbox.dir, repoRoot);
    return {
      exitCode: outcome.exitCode,
      logTail: [outcome.logTail.trimEnd(), ...hints].filter(Boolean).join("\n"),
      ...(coverageMap ? { coverageMap } : {}),
    };
  } finally {
    await sandbox.dispose();
  }
}

/**
 * The map names files by their sandbox paths: renamed to the checkout's, so that the gate merges
 * the maps of steps that ran in different sandboxes, and reports name real files.
 */
function inCheckout(sandbox: Sandbox, map: CoverageMap): CoverageMap {
  return JSON.parse(sandbox.toCheckoutPaths(JSON.stringify(map))) as CoverageMap;
}

async function writeCheckoutFile(repoRoot: string, path: string, text: string): Promise<void> {
  const file = join(repoRoot, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}
