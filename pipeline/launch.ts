/**
 * `pnpm run pipeline` starts here. It runs the CLI from one bundled file, rebuilt whenever a
 * source it was built from changed, instead of through tsx: tsx resolves and transforms each of
 * the CLI's few hundred modules on every start, about a second before any work, which is most of
 * a run that replays every step from the cache (docs/benchmarks.md has the figures).
 *
 * Node strips this file's types itself, so it imports nothing that needs tsx. esbuild is loaded
 * only to build. The bundle is a build product of this checkout, in .pipeline/cli/: every package
 * it imports is left external under the absolute path it resolves to from the file that imports
 * it, so each one loads exactly as it does from source (a workspace package's own dependencies
 * included), and nothing third-party is copied in.
 */
import {
  type Dirent,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BuildFailure, BuildOptions } from "esbuild";
import { shareCompileCache } from "./host/compile-cache.ts";

export interface BundleSpec {
  /** The checkout the entry belongs to; stamped paths are relative to it. */
  root: string;
  /** The entry module, relative to root. */
  entry: string;
  /** Where the bundle and its stamp go, relative to root. */
  outDir: string;
  /**
   * Folders whose source files (and package manifests) the bundle may be built from, relative to
   * root. The set of files in them is part of the stamp, so that a new module that changes how
   * an import resolves rebuilds too.
   */
  sourceDirs: readonly string[];
  /**
   * Single files that change what the build produces or what its externals resolve to: the
   * manifests, the TypeScript configs esbuild reads, and the install's own record (a reinstall
   * can move every external).
   */
  stampFiles: readonly string[];
}

/** What a build saw of each input: modification time (ns), size and inode, or "absent". */
type Stamp = Record<string, string>;

interface StampFile {
  format: 1;
  node: string;
  inputs: Stamp;
}

const BUNDLE = "cli.mjs";
const STAMP = "inputs.json";
const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js|json)$/;
const NOT_SOURCES = new Set(["node_modules", "coverage", "dist", "test", "tests", ".wrangler"]);

/** The pipeline's own launch: the CLI of the checkout this file is in. */
export const PIPELINE_CLI: BundleSpec = {
  root: dirname(dirname(fileURLToPath(import.meta.url))),
  entry: "pipeline/cli.ts",
  outDir: ".pipeline/cli",
  sourceDirs: ["pipeline", "dagger/src/core", "packages"],
  stampFiles: [
    "package.json",
    "tsconfig.json",
    "tsconfig.node.json",
    "tsconfig.base.json",
    "pnpm-lock.yaml",
    "node_modules/.modules.yaml",
  ],
};

/**
 * The bundle's path, built first when it is missing, unreadable, or older than any of its
 * inputs. Both files are written whole and renamed into place, so a launch that is interrupted
 * (or two at once) never leaves a bundle that another launch takes for current.
 */
export async function ensureBundle(spec: BundleSpec): Promise<string> {
  const out = join(spec.root, spec.outDir);
  const bundle = join(out, BUNDLE);
  const recorded = readStamp(join(out, STAMP));
  if (recorded && isCurrent(spec, recorded)) return bundle;
  // Taken before esbuild reads anything: a file edited during the build no longer matches.
  const before = stampOf(spec, listSources(spec));
  const built = await build(spec);
  const inputs: Stamp = { ...before };
  for (const path of built.inputs) inputs[path] ??= before[path] ?? statStamp(spec.root, path);
  mkdirSync(out, { recursive: true });
  writeAtomically(bundle, built.code);
  writeAtomically(
    join(out, STAMP),
    JSON.stringify({ format: 1, node: process.version, inputs } satisfies StampFile),
  );
  return bundle;
}

function readStamp(path: string): StampFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<StampFile>;
    return parsed.format === 1 && typeof parsed.inputs === "object" && parsed.inputs !== null
      ? (parsed as StampFile)
      : undefined;
  } catch {
    // Missing or corrupt: build again.
    return undefined;
  }
}

function isCurrent(spec: BundleSpec, recorded: StampFile): boolean {
  if (recorded.node !== process.version) return false;
  const sources = listSources(spec);
  const stamped = Object.keys(recorded.inputs);
  // A source added or removed since the build (one that moved an import) rebuilds as well.
  const listed = new Set([...sources, ...spec.stampFiles]);
  if (stamped.filter((path) => listed.has(path)).length !== listed.size) return false;
  return stamped.every((path) => statStamp(spec.root, path) === recorded.inputs[path]);
}

function listSources(spec: BundleSpec): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(spec.root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!NOT_SOURCES.has(entry.name)) walk(path);
      } else if (SOURCE_FILE.test(entry.name)) {
        found.push(path);
      }
    }
  };
  for (const dir of spec.sourceDirs) walk(dir);
  return found;
}

function stampOf(spec: BundleSpec, sources: readonly string[]): Stamp {
  return Object.fromEntries(
    [...sources, ...spec.stampFiles].map((path) => [path, statStamp(spec.root, path)]),
  );
}

function statStamp(root: string, path: string): string {
  try {
    const stats = statSync(join(root, path), { bigint: true });
    return `${stats.mtimeNs}:${stats.size}:${stats.ino}`;
  } catch {
    return "absent";
  }
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

interface Built {
  code: string;
  /** The files the bundle was built from, relative to root (node_modules excluded). */
  inputs: string[];
}

async function build(spec: BundleSpec): Promise<Built> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build(buildOptions(spec)).catch((error: unknown) => {
    // esbuild's message starts "Build failed with 1 error:"; the first error is the news.
    const first = (error as Partial<BuildFailure>).errors?.[0];
    throw first
      ? new Error(
          `${first.location ? `${first.location.file}:${first.location.line}: ` : ""}${first.text}`,
        )
      : error;
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild wrote no bundle for ${spec.entry}`);
  return {
    code: output.text,
    inputs: Object.keys(result.metafile.inputs)
      .filter((path) => !path.includes("node_modules"))
      .map((path) => relative(spec.root, join(spec.root, path))),
  };
}

function buildOptions(spec: BundleSpec) {
  return {
    entryPoints: [join(spec.root, spec.entry)],
    absWorkingDir: spec.root,
    // Not written by esbuild (write: false); it places the source map's paths.
    outfile: join(spec.root, spec.outDir, BUNDLE),
    bundle: true,
    platform: "node" as const,
    format: "esm" as const,
    target: `node${process.versions.node}`,
    write: false,
    metafile: true,
    sourcemap: "inline" as const,
    sourcesContent: false,
    logLevel: "silent" as const,
    plugins: [
      {
        name: "externals-where-they-resolve",
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./#]/ }, async (args) => {
            if (args.path.startsWith("node:") || args.pluginData === "resolving") return undefined;
            const resolved = await plugin.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: "resolving",
            });
            if (resolved.errors.length > 0) return { errors: resolved.errors };
            // The workspace's own packages are sources: bundled, and stamped.
            if (!resolved.path.split(/[\\/]/).includes("node_modules")) return resolved;
            return { path: pathToFileURL(resolved.path).href, external: true };
          });
        },
      },
    ],
  } satisfies BuildOptions & { write: false; metafile: true };
}

if (import.meta.main) {
  // Before the bundle is compiled, so that V8's cache serves it from the second start on.
  shareCompileCache(process.env);
  let bundle: string;
  try {
    bundle = await ensureBundle(PIPELINE_CLI);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    process.stderr.write(
      `pipeline: could not build the CLI from ${PIPELINE_CLI.entry} (${detail}); run \`node --import tsx pipeline/cli.ts\` to see the source's error\n`,
    );
    process.exit(1);
  }
  await import(pathToFileURL(bundle).href);
}
