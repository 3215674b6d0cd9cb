import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { inspectJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import type { CoverageMap } from "#core";
import { UsageError } from "../command.js";

/** Where the cache lives in a checkout; a directory `actions/cache` can save and restore. */
export const CACHE_DIR = ".pipeline/cache";
/** The bound when PIPELINE_CACHE_MAX_MB does not set one: a few hundred full runs of this repo. */
export const DEFAULT_CACHE_MAX_MB = 1024;

const entrySchema = z.object({
  format: z.literal(2),
  stepId: z.string(),
  command: z.array(z.string()),
  createdAt: z.string(),
  /** How long the step took when it ran. */
  durationMs: z.number(),
  log: z.string(),
  logTail: z.string(),
  /**
   * The step's coverage map as JSON, the checkout's path replaced by CHECKOUT. Kept as text, a
   * replay writes it back as it is: parsing, copying and printing it again was most of the
   * replay's own work.
   */
  coverage: z.string().optional(),
});
/** An entry as the executor writes it: the coverage map names the checkout's files. */
export type CacheEntry = Omit<z.infer<typeof entrySchema>, "format" | "coverage"> & {
  coverageMap?: CoverageMap;
};
/** An entry as read: its coverage map, and the map's text, name this checkout's files. */
export type ReplayedEntry = CacheEntry & { coverageText?: string };

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
  /** The checkout's path as it appears inside a JSON string. */
  private readonly inJson: string;

  constructor(
    repoRoot: string,
    readonly maxBytes: number,
  ) {
    this.dir = join(repoRoot, CACHE_DIR);
    this.entriesDir = join(this.dir, "entries");
    this.inJson = JSON.stringify(repoRoot).slice(1, -1);
  }

  /** The entry for `key`, or undefined; a corrupt one is a miss, reported through `warn`. */
  async read(key: string, warn: (line: string) => void): Promise<ReplayedEntry | undefined> {
    const path = this.pathOf(key);
    const found = await inspectJsonFile(path, entrySchema);
    const corrupt = (detail: string) => {
      warn(`cache entry ${path} is corrupt (${detail}); running the step instead`);
      return undefined;
    };
    if (found.state === "corrupt") return corrupt(found.detail);
    if (found.state === "missing") return undefined;
    const { format: _format, coverage, ...entry } = found.value;
    let replayed: ReplayedEntry = entry;
    if (coverage !== undefined) {
      const coverageText = coverage.replaceAll(CHECKOUT, this.inJson);
      let coverageMap: unknown;
      try {
        coverageMap = JSON.parse(coverageText);
      } catch (error) {
        return corrupt(`its coverage map is not valid JSON: ${(error as Error).message}`);
      }
      // Checked as an object here; the gate checks every file's counts when it merges.
      if (typeof coverageMap !== "object" || coverageMap === null || Array.isArray(coverageMap)) {
        return corrupt("its coverage map is not a JSON object");
      }
      replayed = { ...entry, coverageMap: coverageMap as CoverageMap, coverageText };
    }
    const now = new Date();
    await utimes(path, now, now);
    return replayed;
  }

  async write(key: string, { coverageMap, ...entry }: CacheEntry): Promise<void> {
    const coverage = coverageMap && JSON.stringify(coverageMap).replaceAll(this.inJson, CHECKOUT);
    await writeJsonFile(
      this.pathOf(key),
      { format: 2, ...entry, ...(coverage ? { coverage } : {}) },
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
