/**
 * `pnpm run pipeline` starts here. It runs the CLI from one bundled file, rebuilt whenever a
 * file it was built from changed, instead of through tsx: tsx resolves and transforms each of
 * the CLI's few hundred modules on every start, about a second before any work, which is most of
 * a run that replays every step from the cache (docs/benchmarks.md has the figures).
 *
 * Plain JavaScript, typed in JSDoc: Node runs it as it is (type stripping costs about a tenth
 * of a second per start), and it imports nothing that needs tsx. esbuild is loaded only to build.
 *
 * The bundle is a build product of this checkout, in .pipeline/cli/. The packages the sources
 * import statically are bundled too: loading them from node_modules, a module at a time, was
 * another 0.1 s of every start (zod alone is a few hundred files). A package imported with
 * `import()` (wrangler, execa) is only wanted by some runs, so it stays external, under the
 * absolute path it resolves to from the file that imports it. Every bundled module keeps its own
 * location, and every file bundled is stamped, node_modules included.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { shareCompileCache } from "./host/compile-cache.mjs";
import { setRunningBuild } from "./host/running-build.mjs";
import { unsupportedNode } from "./host/supported-node.mjs";

/**
 * @typedef {object} BundleSpec
 * @property {string} root The checkout the entry belongs to; stamped paths are relative to it.
 * @property {string} entry The entry module, relative to root.
 * @property {string} outDir Where the bundle and its stamp go, relative to root.
 * @property {readonly string[]} sourceDirs Folders whose source files (and package manifests)
 *   the bundle may be built from, relative to root. The set of files in them is part of the
 *   stamp, so that a new module that changes how an import resolves rebuilds too.
 * @property {readonly string[]} stampFiles Single files that change what the build produces or
 *   what its externals resolve to: the manifests, the TypeScript configs esbuild reads, and the
 *   install's own record (a reinstall can move every external).
 */

/**
 * What a build saw of each input: modification time (ns), size and inode, or "absent".
 * @typedef {Record<string, string>} Stamp
 */

/** @typedef {{ format: 1, node: string, inputs: Stamp }} StampFile */

const BUNDLE = "cli.mjs";
const STAMP = "inputs.json";
const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js|json)$/;
const NOT_SOURCES = new Set(["node_modules", "coverage", "dist", "test", "tests", ".wrangler"]);

/** @type {BundleSpec} The pipeline's own launch: the CLI of the checkout this file is in. */
export const PIPELINE_CLI = {
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
 *
 * @param {BundleSpec} spec
 * @returns {Promise<string>}
 */
export async function ensureBundle(spec) {
  const out = join(spec.root, spec.outDir);
  const bundle = join(out, BUNDLE);
  const recorded = readStamp(join(out, STAMP));
  if (recorded && isCurrent(spec, recorded)) return bundle;
  // Taken before esbuild reads anything: a file edited during the build no longer matches.
  const before = stampOf(spec, listSources(spec));
  const built = await build(spec);
  /** @type {Stamp} */
  const inputs = { ...before };
  for (const path of built.inputs) inputs[path] ??= before[path] ?? statStamp(spec.root, path);
  mkdirSync(out, { recursive: true });
  // The map first: a bundle is never newer than the map that explains it.
  writeAtomically(`${bundle}.map`, built.map);
  writeAtomically(bundle, built.code);
  /** @type {StampFile} */
  const stamp = { format: 1, node: process.version, inputs };
  writeAtomically(join(out, STAMP), JSON.stringify(stamp));
  return bundle;
}

/**
 * @param {string} path
 * @returns {StampFile | undefined}
 */
function readStamp(path) {
  try {
    /** @type {Partial<StampFile>} */
    const parsed = JSON.parse(readFileSync(path, "utf8"));
    return parsed.format === 1 && typeof parsed.inputs === "object" && parsed.inputs !== null
      ? { format: 1, node: String(parsed.node), inputs: parsed.inputs }
      : undefined;
  } catch {
    // Missing or corrupt: build again.
    return undefined;
  }
}

/**
 * @param {BundleSpec} spec
 * @param {StampFile} recorded
 * @returns {boolean}
 */
function isCurrent(spec, recorded) {
  if (recorded.node !== process.version) return false;
  const stamped = Object.keys(recorded.inputs);
  // A source added or removed since the build (one that moved an import) rebuilds as well.
  const listed = new Set([...listSources(spec), ...spec.stampFiles]);
  if (stamped.filter((path) => listed.has(path)).length !== listed.size) return false;
  return stamped.every((path) => statStamp(spec.root, path) === recorded.inputs[path]);
}

/**
 * @param {BundleSpec} spec
 * @returns {string[]}
 */
function listSources(spec) {
  /** @type {string[]} */
  const found = [];
  /** @param {string} dir */
  const walk = (dir) => {
    /** @type {import("node:fs").Dirent[]} */
    let entries;
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

/**
 * @param {BundleSpec} spec
 * @param {readonly string[]} sources
 * @returns {Stamp}
 */
function stampOf(spec, sources) {
  return Object.fromEntries(
    [...sources, ...spec.stampFiles].map((path) => [path, statStamp(spec.root, path)]),
  );
}

/**
 * @param {string} root
 * @param {string} path
 * @returns {string}
 */
function statStamp(root, path) {
  try {
    const stats = statSync(join(root, path), { bigint: true });
    return `${stats.mtimeNs}:${stats.size}:${stats.ino}`;
  } catch {
    return "absent";
  }
}

/**
 * @param {string} path
 * @param {string} text
 */
function writeAtomically(path, text) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * The bundle's code, and the files it was built from, relative to root.
 *
 * @param {BundleSpec} spec
 * @returns {Promise<{ code: string, map: string, inputs: string[] }>}
 */
async function build(spec) {
  const esbuild = await import("esbuild");
  const result = await esbuild.build(buildOptions(spec)).catch(
    /** @param {unknown} error */
    (error) => {
      // esbuild's message starts "Build failed with 1 error:"; the first error is the news.
      const first = /** @type {Partial<import("esbuild").BuildFailure>} */ (error).errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}: ` : "";
      throw first ? new Error(`${where}${first.text}`) : error;
    },
  );
  const output = result.outputFiles.find((file) => file.path.endsWith(".mjs"));
  const map = result.outputFiles.find((file) => file.path.endsWith(".map"));
  if (output === undefined || map === undefined) {
    throw new Error(`esbuild wrote no bundle for ${spec.entry}`);
  }
  return {
    code: output.text,
    map: map.text,
    // The files that have code in the bundle: esbuild also reads ones it then leaves out (the
    // whole of Miniflare), and stamping those would cost a start thousands of stat calls.
    inputs: Object.values(result.metafile.outputs).flatMap((built) =>
      Object.keys(built.inputs).map((path) => relative(spec.root, join(spec.root, path))),
    ),
  };
}

/**
 * @param {BundleSpec} spec
 * @returns {import("esbuild").BuildOptions & { write: false, metafile: true }}
 */
function buildOptions(spec) {
  return {
    entryPoints: [join(spec.root, spec.entry)],
    absWorkingDir: spec.root,
    // Not written by esbuild (write: false); it places the source map's paths.
    outfile: join(spec.root, spec.outDir, BUNDLE),
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node}`,
    write: false,
    metafile: true,
    // Beside the bundle, not in it (for `node --enable-source-maps`): an inline map doubled the
    // text every start reads and decodes, about a tenth of the start.
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "silent",
    // A package's ES module build where it has one: esbuild cannot follow a UMD build's
    // computed require() (jsonc-parser's main).
    mainFields: ["module", "main"],
    // A CommonJS package's require() of Node's own modules, from an ES module bundle.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    plugins: [
      {
        // A module that finds files next to itself (`new URL("./x", import.meta.url)`,
        // __dirname, a createRequire) must keep its own location, not take the bundle's.
        name: "own-location",
        setup(plugin) {
          plugin.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
            const source = readFileSync(args.path, "utf8");
            const esm = source.includes("import.meta.");
            // Used but not declared: an ES module declares its own from import.meta.url.
            const commonJs =
              /\b__(?:dir|file)name\b/.test(source) &&
              !/\b(?:var|let|const)\s+__(?:dir|file)name\b/.test(source);
            if (!esm && !commonJs) return undefined;
            const url = pathToFileURL(args.path).href;
            const located = esm
              ? source
                  .replaceAll("import.meta.url", JSON.stringify(url))
                  .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
                  .replaceAll("import.meta.filename", JSON.stringify(args.path))
              : source;
            const names = commonJs
              ? `var __dirname = ${JSON.stringify(dirname(args.path))}, __filename = ${JSON.stringify(args.path)};\n`
              : "";
            // After a `#!` line, which must stay the first.
            const shebang = /^#!.*\n/.exec(located)?.[0] ?? "";
            return {
              contents: shebang + names + located.slice(shebang.length),
              loader: /\.[cm]?ts$/.test(args.path) ? "ts" : "js",
            };
          });
        },
      },
      {
        name: "packages",
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./#]/ }, async (args) => {
            if (args.path.startsWith("node:") || args.pluginData === "resolving") return undefined;
            // Inside a bundled package, esbuild resolves as usual.
            if (args.importer.split(/[\\/]/).includes("node_modules")) return undefined;
            const resolved = await plugin.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: "resolving",
            });
            if (resolved.errors.length > 0) return { errors: resolved.errors };
            // The workspace's own packages are sources.
            if (!resolved.path.split(/[\\/]/).includes("node_modules")) return resolved;
            if (args.kind === "dynamic-import") {
              return { path: pathToFileURL(resolved.path).href, external: true };
            }
            // Imported for what it exports: an import nothing uses is left out (Miniflare, which
            // only the control plane's server imports, and the CLI never starts).
            return { ...resolved, sideEffects: false };
          });
        },
      },
    ],
  };
}

// import.meta.main is newer than some Node versions the check below is for. Node names the main
// module by its real path, and argv by the path as typed (which can run through a symlink).
if (import.meta.main ?? realpathSync(process.argv[1] ?? ".") === fileURLToPath(import.meta.url)) {
  const unsupported = unsupportedNode(process.version);
  if (unsupported !== undefined) {
    process.stderr.write(`${unsupported}\n`);
    process.exit(1);
  }
  // Before the bundle is compiled, so that V8's cache serves it from the second start on.
  shareCompileCache(process.env);
  /** @type {string} */
  let bundle;
  try {
    bundle = await ensureBundle(PIPELINE_CLI);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    process.stderr.write(
      `pipeline: could not build the CLI from ${PIPELINE_CLI.entry} (${detail}); run \`node --import tsx pipeline/cli.ts\` to see the source's error\n`,
    );
    process.exit(1);
  }
  // The bundle's own stamp names the build: every rebuild renames a new file into place.
  setRunningBuild(statStamp(dirname(bundle), BUNDLE));
  await import(pathToFileURL(bundle).href);
}
