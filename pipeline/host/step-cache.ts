import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { inspectJsonFile, writeJsonFile } from "@workers/host-state";
import { z } from "zod";
import type { CoverageMap } from "#core";
import { UsageError } from "../command.js";

/** Where the cache lives in a checkout; a directory `actions/cache` can save and restore. */
export const CACHE_DIR = ".pipeline/cache";
/** The bound when PIPELINE_CACHE_MAX_MB does not set one: a few hundred full runs of this repo. */
export const DEFAULT_CACHE_MAX_MB = 1024;

const entrySchema = z.object({
  format: z.literal(1),
  stepId: z.string(),
  command: z.array(z.string()),
  createdAt: z.string(),
  /** How long the step took when it ran. */
  durationMs: z.number(),
  log: z.string(),
  logTail: z.string(),
  coverageMap: z.record(z.string(), z.unknown()).optional(),
});
/** An entry as the executor reads and writes it: the coverage map names the checkout's files. */
export type CacheEntry = Omit<z.infer<typeof entrySchema>, "coverageMap"> & {
  coverageMap?: CoverageMap;
};

/**
 * Stands for the checkout's path in stored coverage maps, so that an entry restored on another
 * machine (`actions/cache`) or in another clone names that checkout's files.
 */
const CHECKOUT = "<checkout>";

export interface CacheStatus {
  dir: string;
  entries: number;
  bytes: number;
  maxBytes: number;
  /** The entry replayed or written longest ago and most recently, as ISO dates. */
  oldest?: string;
  newest?: string;
}

interface EntryFile {
  path: string;
  bytes: number;
  usedMs: number;
}

/**
 * Passed steps by cache key, one JSON file each under `entries/`. Writes are atomic (a temporary
 * file renamed into place, see @workers/host-state), so an interrupted write leaves no entry.
 * An entry's modification time is when it was last written or replayed: eviction removes the
 * least recently used first.
 */
export class StepCache {
  readonly dir: string;
  private readonly entriesDir: string;

  constructor(
    private readonly repoRoot: string,
    readonly maxBytes: number,
  ) {
    this.dir = join(repoRoot, CACHE_DIR);
    this.entriesDir = join(this.dir, "entries");
  }

  /** The entry for `key`, or undefined; a corrupt one is a miss, reported through `warn`. */
  async read(key: string, warn: (line: string) => void): Promise<CacheEntry | undefined> {
    const path = this.pathOf(key);
    const found = await inspectJsonFile(path, entrySchema);
    if (found.state === "corrupt") {
      warn(`cache entry ${path} is corrupt (${found.detail}); running the step instead`);
      return undefined;
    }
    if (found.state === "missing") return undefined;
    const now = new Date();
    await utimes(path, now, now);
    const { coverageMap, ...entry } = found.value;
    if (coverageMap === undefined) return entry;
    // Checked as a record when read; the gate checks every file's counts when it merges.
    const local = JSON.stringify(coverageMap).replaceAll(CHECKOUT, this.repoRoot);
    return { ...entry, coverageMap: JSON.parse(local) as CoverageMap };
  }

  async write(key: string, { coverageMap, ...entry }: CacheEntry): Promise<void> {
    const portable =
      coverageMap && JSON.parse(JSON.stringify(coverageMap).replaceAll(this.repoRoot, CHECKOUT));
    await writeJsonFile(
      this.pathOf(key),
      { ...entry, ...(portable ? { coverageMap: portable } : {}) },
      entrySchema,
    );
  }

  async status(): Promise<CacheStatus> {
    const files = await this.entryFiles();
    const byUse = files.sort((a, b) => a.usedMs - b.usedMs);
    const first = byUse[0];
    const last = byUse.at(-1);
    return {
      dir: this.dir,
      entries: files.length,
      bytes: files.reduce((total, file) => total + file.bytes, 0),
      maxBytes: this.maxBytes,
      ...(first ? { oldest: new Date(first.usedMs).toISOString() } : {}),
      ...(last ? { newest: new Date(last.usedMs).toISOString() } : {}),
    };
  }

  /**
   * Removes the least recently used entries until the rest fit in `maxBytes`, and whatever an
   * interrupted write left behind (temporary files, a backup of a replaced entry).
   */
  async prune(maxBytes = this.maxBytes): Promise<{ removed: number; freedBytes: number }> {
    const names = await readdir(this.entriesDir).catch(() => []);
    // A minute old: a write still in flight in another run keeps its temporary file.
    const abandoned = Date.now() - 60_000;
    await Promise.all(
      names
        .filter((name) => !name.endsWith(".json"))
        .map(async (name) => {
          const path = join(this.entriesDir, name);
          const stats = await stat(path).catch(() => undefined);
          if (stats && stats.mtimeMs < abandoned) await rm(path, { force: true });
        }),
    );
    const files = (await this.entryFiles()).sort((a, b) => b.usedMs - a.usedMs);
    let kept = 0;
    let removed = 0;
    let freedBytes = 0;
    for (const file of files) {
      if (kept + file.bytes <= maxBytes) {
        kept += file.bytes;
      } else {
        await rm(file.path, { force: true });
        removed += 1;
        freedBytes += file.bytes;
      }
    }
    return { removed, freedBytes };
  }

  private pathOf(key: string): string {
    return join(this.entriesDir, `${key}.json`);
  }

  private async entryFiles(): Promise<EntryFile[]> {
    const names = await readdir(this.entriesDir).catch(() => []);
    const files = await Promise.all(
      names
        .filter((name) => name.endsWith(".json"))
        .map(async (name) => {
          const path = join(this.entriesDir, name);
          const stats = await stat(path).catch(() => undefined);
          return stats ? { path, bytes: stats.size, usedMs: stats.mtimeMs } : undefined;
        }),
    );
    return files.filter((file) => file !== undefined);
  }
}

/** The cache of the checkout at `repoRoot`, bounded by PIPELINE_CACHE_MAX_MB when set. */
export function checkoutCache(repoRoot: string, env: NodeJS.ProcessEnv): StepCache {
  const raw = env.PIPELINE_CACHE_MAX_MB;
  const mb = raw === undefined ? DEFAULT_CACHE_MAX_MB : Number(raw);
  if (!Number.isFinite(mb) || mb < 0) {
    throw new CacheBoundError(raw ?? "");
  }
  return new StepCache(repoRoot, mb * 2 ** 20);
}

export class CacheBoundError extends UsageError {
  constructor(value: string) {
    super(
      `PIPELINE_CACHE_MAX_MB="${value}" is not a size: give megabytes as a number, 0 or more (default ${DEFAULT_CACHE_MAX_MB})`,
    );
    this.name = "CacheBoundError";
  }
}
