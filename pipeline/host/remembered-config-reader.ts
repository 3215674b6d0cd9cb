import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { inspectJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import type { WranglerConfigReader } from "#core";
import { CACHE_DIR } from "./step-cache.js";

/** One file per config, replaced when it changes: bounded by the number of Workers. */
const CONFIGS_DIR = `${CACHE_DIR}/configs`;

const rememberedSchema = z.object({
  format: z.literal(1),
  key: z.string(),
  value: z.object({
    declared: z.array(z.string()),
    resolved: z.record(
      z.string(),
      z.object({
        workerName: z.string(),
        services: z.array(z.object({ binding: z.string(), service: z.string() })),
        resources: z.array(
          z.object({
            kind: z.string(),
            binding: z.string().optional(),
            resource: z.string().optional(),
          }),
        ),
      }),
    ),
    leftOut: z.record(z.string(), z.string()),
    undeployable: z.string().optional(),
  }),
});

/**
 * Where wrangler reads a config from, for the key: the module that would read it, and that
 * file's identity on disk (a reinstall of another version changes it).
 */
export type WranglerLocator = (file: string) => string;

/**
 * wrangler's config reader, remembered in .pipeline/cache/configs/: reading one config means
 * loading wrangler (about a second, most of a start that then replays every step), so what it
 * read is used again while nothing it depends on changed. The key is the config's content, the
 * wrangler that reads it (path, size and modification time of its entry), and the
 * WRANGLER_ and CLOUDFLARE_ variables of the environment (wrangler reads CLOUDFLARE_ENV when no
 * environment is named), hashed so no value is stored. A config named explicitly is never
 * redirected (wrangler's resolveWranglerConfigPath), and reading one consults nothing else.
 *
 * A config wrangler rejects is not remembered: its error is reported by reading it again.
 */
export function rememberedConfigReader(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  read: WranglerConfigReader,
  locate: WranglerLocator,
): WranglerConfigReader {
  const environment = wranglerVariables(env);
  return async (file) => {
    const key = await keyOf(repoRoot, file, locate(file), environment);
    const path = join(
      repoRoot,
      CONFIGS_DIR,
      `${createHash("sha256").update(file).digest("hex")}.json`,
    );
    const found = key && (await inspectJsonFile(path, rememberedSchema));
    if (found && found.state === "good" && found.value.key === key) {
      return found.value.value;
    }
    const value = await read(file);
    if (key) {
      // A cache that cannot be written only costs the next start its second.
      await writeJsonFile(path, { format: 1, key, value }, rememberedSchema).catch(() => undefined);
    }
    return value;
  };
}

/** The variables wrangler reads a config with, sorted by name. */
export function wranglerVariables(env: NodeJS.ProcessEnv): [string, string | undefined][] {
  return Object.entries(env)
    .filter(([name]) => name.startsWith("WRANGLER_") || name.startsWith("CLOUDFLARE_"))
    .sort(([a], [b]) => a.localeCompare(b));
}

async function keyOf(
  repoRoot: string,
  file: string,
  wrangler: string,
  environment: readonly (readonly [string, string | undefined])[],
): Promise<string | undefined> {
  try {
    const [content, entry] = await Promise.all([
      readFile(join(repoRoot, file)),
      stat(wrangler, { bigint: true }),
    ]);
    return createHash("sha256")
      .update(
        JSON.stringify({ file, wrangler, entry: `${entry.mtimeNs}:${entry.size}`, environment }),
      )
      .update(content)
      .digest("hex");
  } catch {
    // Unreadable: wrangler's own read says what is wrong with it.
    return undefined;
  }
}
