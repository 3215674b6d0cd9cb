import { constants } from "node:fs";
import {
  copyFile,
  cp,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  symlink,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

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
 * walking up from the step (a .git, a biome.json, a node_modules) belongs to the checkout.
 */
export class Sandbox {
  private constructor(
    readonly repoRoot: string,
    readonly dir: string,
  ) {}

  static async create(
    repoRoot: string,
    files: readonly string[],
    nodeModules: readonly string[],
  ): Promise<Sandbox> {
    const sandbox = new Sandbox(repoRoot, await mkdtemp(join(tmpdir(), "pipeline-sandbox-")));
    try {
      await sandbox.makeDirs([...files, ...nodeModules.map((dir) => `${dir}/.`)]);
      await Promise.all(files.map((file) => sandbox.place(file)));
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

  /** The checkout's path for text written inside the sandbox (coverage maps name files by path). */
  toCheckoutPaths(text: string): string {
    return text.replaceAll(this.dir, this.repoRoot);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async makeDirs(paths: readonly string[]): Promise<void> {
    const dirs = new Set(paths.map((path) => dirname(path)).filter((dir) => dir !== "."));
    for (const dir of dirs) {
      await mkdir(join(this.dir, dir), { recursive: true });
    }
  }

  private async place(file: string): Promise<void> {
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
