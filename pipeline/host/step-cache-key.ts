import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
// execa is imported where a process starts: loading it takes a tenth of a second or more,
// and a run that replays every step from the cache starts none.
import type { Step } from "#core";

/**
 * The environment variables that change what a step does, so they are part of its key. The
 * colour switches are the same on every run (see execa-executor.ts); the rest come from the
 * caller's environment. Credentials are never among them: steps do not read any.
 */
export const KEYED_ENV = ["CI", "NODE_OPTIONS", "TZ", "LANG", "FORCE_COLOR", "NO_COLOR"] as const;

/** What every key of a run shares: the tool versions, the install and the keyed environment. */
export interface KeyContext {
  tools: Record<string, string>;
  /** SHA-256 of each install record found (see INSTALL_RECORDS). */
  install: Record<string, string>;
  env: Record<string, string | null>;
}

/**
 * What each package manager writes in node_modules about the install it made. Sandboxes run on
 * the checkout's install (see sandboxed-executor.ts), which can lag behind the lockfile until the
 * next install; keying on it means a pass on a stale install is not replayed for a fresh one.
 */
const INSTALL_RECORDS = [
  "node_modules/.pnpm/lock.yaml",
  "node_modules/.package-lock.json",
  "node_modules/.yarn-state.yml",
  "node_modules/.yarn-integrity",
];

/**
 * node, pnpm, wrangler and the workerd it runs. The lockfile pins the last two already; they
 * are named so that an install that went wrong (a different build linked in) still changes keys.
 */
export async function readKeyContext(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<KeyContext> {
  const wranglerManifest = await realpath(
    join(repoRoot, "node_modules/wrangler/package.json"),
  ).catch(() => undefined);
  const version = async (manifest: string | undefined) =>
    manifest === undefined
      ? "absent"
      : ((JSON.parse(await readFile(manifest, "utf8")) as { version?: string }).version ??
        "absent");
  const workerdManifest = wranglerManifest
    ? resolveFrom(wranglerManifest, "workerd/package.json")
    : undefined;
  return {
    tools: {
      node: process.version,
      pnpm: await pnpmVersion(repoRoot, env),
      wrangler: await version(wranglerManifest),
      workerd: await version(workerdManifest),
    },
    install: await installRecords(repoRoot),
    env: Object.fromEntries(KEYED_ENV.map((name) => [name, env[name] ?? null])),
  };
}

async function installRecords(repoRoot: string): Promise<Record<string, string>> {
  const found = await Promise.all(
    INSTALL_RECORDS.map(async (path) => {
      const content = await readFile(join(repoRoot, path)).catch(() => undefined);
      return content && [path, createHash("sha256").update(content).digest("hex")];
    }),
  );
  return Object.fromEntries(found.filter((entry) => entry !== undefined));
}

/** pnpm names itself in the user agent of the scripts it runs; else ask it. */
async function pnpmVersion(repoRoot: string, env: NodeJS.ProcessEnv): Promise<string> {
  const fromAgent = /\bpnpm\/(\S+)/.exec(env.npm_config_user_agent ?? "")?.[1];
  if (fromAgent !== undefined) return fromAgent;
  const { execa } = await import("execa");
  const result = await execa("pnpm", ["--version"], { cwd: repoRoot, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : "absent";
}

function resolveFrom(manifest: string, request: string): string | undefined {
  try {
    return createRequire(manifest).resolve(request);
  } catch {
    return undefined;
  }
}

/**
 * A step's cache key: the content of exactly the files its sandbox holds (the lockfile and every
 * manifest among them), the tool versions, the keyed environment and its command. Anything a
 * step reads beyond these fails in its sandbox, so a key that matches means the same work.
 */
export async function stepCacheKey(
  step: Step,
  files: readonly string[],
  hash: (path: string) => Promise<string>,
  context: KeyContext,
): Promise<string> {
  const contents = await Promise.all(files.map(async (path) => [path, await hash(path)]));
  return createHash("sha256")
    .update(
      JSON.stringify({
        // 2: entries hold their coverage map as text (step-cache.ts).
        format: 2,
        step: step.id,
        command: step.command ?? null,
        coverageMap: step.coverageMap ?? null,
        tools: context.tools,
        install: context.install,
        env: context.env,
        files: contents,
      }),
    )
    .digest("hex");
}
