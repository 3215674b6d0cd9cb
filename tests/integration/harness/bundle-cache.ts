import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a bundle was built from: the build's arguments and the hash of every file it read. */
interface Manifest {
  args: string[];
  files: Record<string, string>;
}

const MANIFEST = "inputs.json";

async function hashOf(file: string): Promise<string | undefined> {
  try {
    return createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
  } catch {
    return undefined;
  }
}

async function upToDate(dir: string, args: string[]): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return false;
  }
  if (JSON.stringify(manifest.args) !== JSON.stringify(args)) {
    return false;
  }
  for (const [file, hash] of Object.entries(manifest.files)) {
    if ((await hashOf(file)) !== hash) {
      return false;
    }
  }
  return true;
}

export interface CachedBuild {
  /** The build's output directory. */
  dir: string;
  /** False when the last build's output was reused. */
  built: boolean;
}

/**
 * A build's output kept in `dir` and reused while the build's arguments and every file it read
 * hash the same. `build` writes into the directory it is given and returns the absolute paths of
 * the files it read; `configFiles` are read too, but not reported by it. The new output replaces
 * the old one in one rename, so an interrupted build never leaves a half-written cache.
 */
export async function cachedBuild(
  dir: string,
  args: string[],
  configFiles: string[],
  build: (outdir: string) => Promise<string[]>,
): Promise<CachedBuild> {
  if (await upToDate(dir, args)) {
    return { dir, built: false };
  }
  const parent = join(dir, "..");
  await mkdir(parent, { recursive: true });
  const fresh = await mkdtemp(`${dir}.building-`);
  try {
    const inputs = await build(fresh);
    const files: Record<string, string> = {};
    for (const file of [...new Set([...inputs, ...configFiles])].sort()) {
      const hash = await hashOf(file);
      if (hash === undefined) {
        throw new Error(`the build read ${file}, which cannot be read now`);
      }
      files[file] = hash;
    }
    await writeFile(join(fresh, MANIFEST), `${JSON.stringify({ args, files }, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(fresh, dir);
  } catch (error) {
    await rm(fresh, { recursive: true, force: true });
    throw error;
  }
  return { dir, built: true };
}
