import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { execa } from "execa";
import { runCli } from "../../pipeline/run-cli.js";
import { REPO_ROOT } from "./paths.js";

export const MAIN_ROOT = REPO_ROOT;

const SKIP = new Set(["coverage", ".wrangler", ".vite", ".vite-temp", "dist", ".local-cloud"]);

/**
 * What `pnpm run` in a copy needs: the copy links the checkout's node_modules, whose install
 * pnpm recorded under the checkout's paths, so pnpm takes the copy for a changed workspace and
 * installs again before the script, through the link, into the checkout's node_modules (which
 * then lead into the copy, deleted after the test). The pipeline's sandboxes do the same
 * (pipeline/host/sandboxed-executor.ts).
 */
export const COPY_PNPM_ENV = { pnpm_config_verify_deps_before_run: "false" };

/**
 * A copy of the repository's sources (services, packages, pipeline, dagger core) in a temp dir,
 * sharing node_modules through a symlink, so a test can break a service and deploy it without
 * touching the working tree. Its control plane state lives in its own `.local-cloud`.
 */
export async function copyRepo(): Promise<TempRepo> {
  const root = await mkdtemp(join(tmpdir(), "deploy-test-repo-"));
  for (const file of [
    "package.json",
    "pnpm-workspace.yaml",
    "tsconfig.json",
    "tsconfig.base.json",
    "tsconfig.worker.json",
  ]) {
    await cp(join(MAIN_ROOT, file), join(root, file));
  }
  // packages/: the services' node_modules link to the libraries there, which wrangler bundles.
  for (const dir of ["services", "packages", "pipeline", "dagger/src"]) {
    await cp(join(MAIN_ROOT, dir), join(root, dir), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !SKIP.has(basename(source)),
    });
  }
  await symlink(join(MAIN_ROOT, "node_modules"), join(root, "node_modules"));
  return new TempRepo(root);
}

export class TempRepo {
  private readonly originals = new Map<string, string>();
  private readonly added = new Set<string>();

  constructor(readonly root: string) {}

  /** Writes a new file (removed again by restore()). */
  async add(path: string, text: string): Promise<void> {
    this.added.add(path);
    await mkdir(dirname(join(this.root, path)), { recursive: true });
    await writeFile(join(this.root, path), text, { flag: "wx" });
  }

  /** Rewrites a file (keeping its original for restore()). */
  async patch(path: string, edit: (text: string) => string): Promise<void> {
    const file = join(this.root, path);
    const text = await readFile(file, "utf8");
    if (!this.originals.has(path)) this.originals.set(path, text);
    const edited = edit(text);
    if (edited === text) throw new Error(`patch of ${path} changed nothing`);
    await writeFile(file, edited);
  }

  async restore(): Promise<void> {
    for (const [path, text] of this.originals) {
      await writeFile(join(this.root, path), text);
    }
    this.originals.clear();
    for (const path of this.added) {
      await rm(join(this.root, path), { force: true });
    }
    this.added.clear();
  }

  /** What `pnpm run pipeline <args>` runs, in this copy, as a separate process (this Node 24). */
  async pipeline(
    args: string[],
    env: Record<string, string | undefined> = {},
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const result = await execa(process.execPath, ["--import", "tsx", "pipeline/cli.ts", ...args], {
      cwd: this.root,
      reject: false,
      stdin: "ignore",
      env: { PIPELINE_HEALTH_TIMEOUT_MS: "15000", ...env },
    });
    return {
      exitCode: result.exitCode ?? 1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  }

  /**
   * The same command in this process (much cheaper than a new tsx process on two busy cores).
   * Cloudflare variables from the test's own environment are dropped unless given.
   */
  async cli(
    args: string[],
    env: Record<string, string | undefined> = {},
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDFLARE_")),
    );
    const exitCode = await runCli(args, {
      cwd: this.root,
      env: { ...inherited, PIPELINE_HEALTH_TIMEOUT_MS: "15000", ...env },
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
    });
    return { exitCode, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
