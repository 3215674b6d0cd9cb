import { constants } from "node:fs";
import {
  copyFile,
  cp,
  link,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
} from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { claimSandboxPlace, type SandboxPlace } from "./sandbox-place.js";

/**
 * What pnpm writes in a node_modules when it runs scripts (not what its install wrote): each
 * sandbox gets an empty folder of its own, as a container whose install layer never ran a script.
 */
const RUN_STATE = /^\.pnpm-task-run-state-/;

/**
 * A folder holding exactly the files a step's container would hold, for the step to run in.
 *
 * Files are hard links (a copy-on-write clone across file systems), never symlinks into the
 * checkout: a symlink would let `..` from inside it reach files the step was not given. A step
 * that rewrites a file in place would change the checkout's copy too; the steps here write only
 * new files (coverage, .wrangler state), and `biome ci` and the test runners never write sources.
 *
 * It lives in the system's temporary folder, outside the checkout, so that nothing found by
 * walking up from the step (a .git, a biome.json, a node_modules) belongs to the checkout, at
 * the same path for the same step on each run (sandbox-place.ts).
 */
export class Sandbox {
  readonly dir: string;

  private constructor(
    readonly repoRoot: string,
    private readonly place: SandboxPlace,
    private readonly nodeModules: readonly string[],
  ) {
    this.dir = place.dir;
  }

  static async create(
    repoRoot: string,
    stepId: string,
    files: readonly string[],
    nodeModules: readonly string[],
  ): Promise<Sandbox> {
    const sandbox = new Sandbox(repoRoot, await claimSandboxPlace(repoRoot, stepId), nodeModules);
    try {
      await sandbox.makeDirs([...files, ...nodeModules.map((dir) => `${dir}/.`)]);
      await Promise.all(files.map((file) => sandbox.placeFile(file)));
      await Promise.all(nodeModules.map((dir) => sandbox.mirrorNodeModules(dir)));
    } catch (error) {
      await sandbox.dispose();
      throw error;
    }
    return sandbox;
  }

  /** Replaces the checkout's copy of each folder with the one the step wrote, if it wrote one. */
  async copyBack(dirs: readonly string[]): Promise<void> {
    for (const dir of dirs) {
      const written = join(this.dir, dir);
      if ((await lstat(written).catch(() => undefined))?.isDirectory()) {
        await rm(join(this.repoRoot, dir), { recursive: true, force: true });
        await cp(written, join(this.repoRoot, dir), { recursive: true });
      }
    }
  }

  /**
   * Keeps what tools cached at the top of a node_modules for the next sandboxes, as a Dagger
   * cache volume outlives its container: a folder the step made there (vitest's `.vitest-cache`
   * of transformed modules, Vite's `.vite`) moves to the checkout's node_modules when the
   * checkout has none. From then on every sandbox links to it and writes through, as a run in
   * the checkout would. Without it, each sandbox's tools started cold: about a second of a
   * service's tests (docs/benchmarks.md). Steps that finish together race for one place: the
   * first folder moved in stays, the others go with their sandboxes.
   */
  async keepToolCaches(): Promise<void> {
    for (const dir of this.nodeModules) {
      const made = await readdir(join(this.dir, dir), { withFileTypes: true }).catch(() => []);
      for (const entry of made) {
        if (entry.isDirectory() && entry.name.startsWith(".") && !RUN_STATE.test(entry.name)) {
          await moveIfAbsent(join(this.dir, dir, entry.name), join(this.repoRoot, dir, entry.name));
        }
      }
    }
  }

  /** The checkout's path for text written inside the sandbox (coverage maps name files by path). */
  toCheckoutPaths(text: string): string {
    return text.replaceAll(this.dir, this.repoRoot);
  }

  async dispose(): Promise<void> {
    try {
      await rm(this.dir, { recursive: true, force: true });
    } finally {
      await this.place.release();
    }
  }

  private async makeDirs(paths: readonly string[]): Promise<void> {
    const dirs = new Set(paths.map((path) => dirname(path)).filter((dir) => dir !== "."));
    for (const dir of dirs) {
      await mkdir(join(this.dir, dir), { recursive: true });
    }
  }

  private async placeFile(file: string): Promise<void> {
    const from = join(this.repoRoot, file);
    const to = join(this.dir, file);
    const stats = await lstat(from);
    if (stats.isSymbolicLink()) {
      // Kept as written: a relative link resolves inside the sandbox, as in a container.
      await symlink(await readlink(from), to);
      return;
    }
    try {
      await link(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      await copyFile(from, to, constants.COPYFILE_FICLONE);
    }
  }

  /**
   * The installed node_modules, the way a container has them from its install layer: each entry
   * links to the checkout's, except pnpm's links to workspace packages, which are recreated as
   * written (relative) so that they lead to the sandbox's copy of the package, or nowhere when
   * the step was not given it.
   */
  private async mirrorNodeModules(dir: string): Promise<void> {
    const entries = await readdir(join(this.repoRoot, dir), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = `${dir}/${entry.name}`;
        if (RUN_STATE.test(entry.name)) {
          // pnpm refuses a symlinked task state folder, and the state belongs to this run.
          await mkdir(join(this.dir, path));
        } else if (entry.name.startsWith("@") && entry.isDirectory()) {
          await mkdir(join(this.dir, path));
          await this.mirrorNodeModules(path);
        } else {
          await symlink(await this.linkTarget(path, entry.isSymbolicLink()), join(this.dir, path));
        }
      }),
    );
  }

  private async linkTarget(path: string, isLink: boolean): Promise<string> {
    const real = join(this.repoRoot, path);
    if (!isLink) return real;
    const target = await readlink(real);
    const resolved = resolve(dirname(real), target);
    const inside = relative(this.repoRoot, resolved);
    const workspacePackage =
      !isAbsolute(target) &&
      !inside.startsWith("..") &&
      !inside.split(sep).includes("node_modules");
    return workspacePackage ? target : resolved;
  }
}

/** Moves a folder where none is (rename fails on a folder that is not empty), else leaves it. */
async function moveIfAbsent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") return;
    // Another file system: copied beside its place first, so that it appears whole or not at all.
    const staged = `${to}.${process.pid}.tmp`;
    try {
      await cp(from, staged, { recursive: true });
      await rename(staged, to);
    } catch {
      await rm(staged, { recursive: true, force: true });
    }
  }
}
