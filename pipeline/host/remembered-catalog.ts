import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { inspectJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import type { RepoReader, ServiceCatalog, WranglerConfigReader } from "#core";
import { type FileStamp, fileStamp } from "./file-stamp.js";
import { type WranglerLocator, wranglerVariables } from "./remembered-config-reader.js";
import { CACHE_DIR } from "./step-cache.js";

const MEMO_FILE = `${CACHE_DIR}/catalog.json`;

const memoSchema = z.object({
  format: z.literal(1),
  build: z.string(),
  environment: z.string(),
  /** Path (relative to the checkout, or absolute outside it) → its stamp when it was read. */
  inputs: z.record(z.string(), z.string()),
  /** Each Worker config read → the wrangler module that read it. */
  wranglers: z.record(z.string(), z.string()),
  // Written by the same build of the CLI (`build`), so it has the shape that build returns.
  catalog: z.custom<ServiceCatalog>((value) => typeof value === "object" && value !== null),
});

/** Where discovery reads from: the checkout's files, and wrangler for each Worker's config. */
export interface CatalogSources {
  reader: RepoReader;
  readWrangler: WranglerConfigReader;
  /** The module wrangler reads a config with, so that another wrangler reads afresh. */
  locate: WranglerLocator;
}

export interface RememberOptions {
  /** Which build of the CLI is running (see running-build.mjs); none: nothing is remembered. */
  build: string | undefined;
  /** The variables wrangler reads a config with (WRANGLER_, CLOUDFLARE_). */
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

/**
 * The workspace's catalog, remembered in .pipeline/cache/catalog.json while every file discovery
 * read, every folder it listed and the wrangler it read configs with (the same module, as
 * resolved now) keep the stamp they had
 * (modification and change times in ns, size, inode, mode; "absent" for what was not there). A
 * run that replays every step spent a fifth of its time discovering the same workspace again:
 * parsing pnpm-workspace.yaml, every manifest and every Worker's config.
 *
 * A folder's stamp changes when an entry is added, removed or renamed in it, which is all a
 * listing can show. Files are stamped before they are read, so an edit during the read leaves a
 * stamp that no longer matches; one within the timestamp granularity of the read is not trusted,
 * and nothing is remembered (as file-hashes.ts). The memo belongs to the build that wrote it:
 * another build, whose catalog may have another shape, discovers afresh.
 */
export async function rememberedCatalog(
  repoRoot: string,
  sources: CatalogSources,
  discover: (reader: RepoReader, readWrangler: WranglerConfigReader) => Promise<ServiceCatalog>,
  options: RememberOptions,
): Promise<ServiceCatalog> {
  const { build } = options;
  if (build === undefined) return discover(sources.reader, sources.readWrangler);
  const memoPath = join(repoRoot, MEMO_FILE);
  const environment = environmentKey(options.env);
  const found = await inspectJsonFile(memoPath, memoSchema);
  if (
    found.state === "good" &&
    found.value.build === build &&
    found.value.environment === environment &&
    // A wrangler installed closer to a Worker would read its config now: another reader.
    Object.entries(found.value.wranglers).every(([file, at]) => sources.locate(file) === at) &&
    (await stillStamped(repoRoot, found.value.inputs))
  ) {
    return found.value.catalog;
  }
  const now = options.now ?? Date.now;
  const readFrom = now();
  const inputs = new Map<string, Promise<FileStamp>>();
  const stamped = (path: string) => {
    let taken = inputs.get(path);
    if (taken === undefined) {
      taken = stampOf(repoRoot, path, readFrom);
      inputs.set(path, taken);
    }
    return taken;
  };
  const reader: RepoReader = {
    async readText(path) {
      await stamped(path);
      return sources.reader.readText(path);
    },
    async listDirectories(path) {
      await stamped(path);
      return sources.reader.listDirectories(path);
    },
  };
  const wranglers: Record<string, string> = {};
  const readWrangler: WranglerConfigReader = async (file) => {
    const at = sources.locate(file);
    wranglers[file] = at;
    await Promise.all([stamped(file), stamped(at)]);
    return sources.readWrangler(file);
  };
  const catalog = await discover(reader, readWrangler);
  const taken = await Promise.all(
    [...inputs].map(async ([path, stamp]) => [path, await stamp] as const),
  );
  // A change within the granularity after its stamp could keep the stamp: remember nothing.
  if (taken.every(([, stamp]) => stamp.trusted)) {
    await writeJsonFile(
      memoPath,
      {
        format: 1,
        build,
        environment,
        inputs: Object.fromEntries(taken.map(([path, stamp]) => [path, stamp.text])),
        wranglers,
        catalog,
      },
      memoSchema,
      // A memo that cannot be written only costs the next run its discovery.
    ).catch(() => undefined);
  }
  return catalog;
}

/** Followed through symlinks, as discovery reads; "absent" for what is not there. */
async function stampOf(repoRoot: string, path: string, readAt: number): Promise<FileStamp> {
  try {
    const stats = await stat(isAbsolute(path) ? path : join(repoRoot, path), { bigint: true });
    return fileStamp(stats, readAt);
  } catch {
    // Missing, or unreadable: either way, it must be so again for the memo to hold.
    return { text: "absent", trusted: true };
  }
}

async function stillStamped(repoRoot: string, inputs: Record<string, string>): Promise<boolean> {
  const same = await Promise.all(
    Object.entries(inputs).map(
      async ([path, text]) => (await stampOf(repoRoot, path, Date.now())).text === text,
    ),
  );
  return same.every(Boolean);
}

/** Hashed, so that no value (a token among them) is written down. */
function environmentKey(env: NodeJS.ProcessEnv): string {
  return createHash("sha256")
    .update(JSON.stringify(wranglerVariables(env)))
    .digest("hex");
}
