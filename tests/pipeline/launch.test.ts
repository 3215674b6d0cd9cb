import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as elapse } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { RACY_MS } from "../../pipeline/host/file-stamp.js";
import { unsupportedNode } from "../../pipeline/host/supported-node.mjs";
import { type BundleSpec, ensureBundle, PIPELINE_CLI } from "../../pipeline/launch.mjs";
import { fixtureWith, tempDir } from "../helpers/fixture-repo.js";
import { REPO_ROOT } from "../helpers/paths.js";

/**
 * A checkout in miniature: an entry that imports a source module (as the CLI imports the core),
 * an installed package it uses (bundled, keeping its own location), one it imports and never
 * uses (left out), and one it loads with import() (external, loaded from where it is installed).
 */
async function project(): Promise<BundleSpec> {
  const root = await tempDir("launch-");
  await mkdir(join(root, "src"), { recursive: true });
  await mkdir(join(root, "node_modules/greeting"), { recursive: true });
  await writeFile(
    join(root, "node_modules/greeting/package.json"),
    JSON.stringify({ name: "greeting", type: "module", exports: "./index.js" }),
  );
  await writeFile(
    join(root, "node_modules/greeting/index.js"),
    'export const greeting = "hello from " + import.meta.url;\n',
  );
  await installed(root, "unused", 'globalThis.unusedLoaded = true;\nexport const unused = "x";\n');
  await installed(root, "late", 'export const late = "late from " + import.meta.url;\n');
  await installed(
    root,
    "legacy",
    'module.exports = { legacy: require("node:path").basename(__dirname) };\n',
    "commonjs",
  );
  await installed(
    root,
    "modern",
    'import { dirname } from "node:path";\nimport { fileURLToPath } from "node:url";\nconst __dirname = dirname(fileURLToPath(import.meta.url));\nexport const modern = __dirname;\n',
  );
  await writeFile(join(root, "package.json"), JSON.stringify({ type: "module" }));
  await writeFile(
    join(root, "src/entry.ts"),
    [
      'import { greeting } from "greeting";',
      'import { unused } from "unused";',
      'import { legacy } from "legacy";',
      'import { modern } from "modern";',
      'import { value } from "./value.js";',
      'export const answer: string = greeting + " " + value;',
      "export const folder: string = legacy;",
      "export const own: string = modern;",
      'export const later = async (): Promise<string> => (await import("late")).late;',
      "export const unusedLoaded = (): unknown => (globalThis as Record<string, unknown>).unusedLoaded;",
      "",
    ].join("\n"),
  );
  await writeFile(join(root, "src/value.ts"), "export const value: number = 1;\n");
  await writeFile(
    join(root, "src/where.ts"),
    'export const here: string = new URL("./value.ts", import.meta.url).href;\n',
  );
  return {
    root,
    entry: "src/entry.ts",
    outDir: ".out",
    sourceDirs: ["src"],
    stampFiles: ["package.json"],
  };
}

async function installed(root: string, name: string, code: string, type = "module"): Promise<void> {
  await mkdir(join(root, "node_modules", name), { recursive: true });
  await writeFile(
    join(root, "node_modules", name, "package.json"),
    JSON.stringify({ name, type, exports: "./index.js" }),
  );
  await writeFile(join(root, "node_modules", name, "index.js"), code);
}

async function load(bundle: string): Promise<string> {
  // A new URL each time: Node caches a module by URL, and the test loads rebuilt bundles.
  const module = (await import(`${pathToFileURL(bundle).href}?${Math.random()}`)) as {
    answer: string;
  };
  return module.answer;
}

const identity = async (path: string) => (await stat(path)).ino;

describe("the CLI's launch bundle", () => {
  it("builds once and reuses the bundle while no source changed", async () => {
    const spec = await project();
    const bundle = await ensureBundle(spec);
    expect(await load(bundle)).toMatch(
      /^hello from file:\/\/\S+\/node_modules\/greeting\/index\.js 1$/,
    );
    // Its source map beside it, not inside: every start reads the bundle whole.
    expect(await readFile(bundle, "utf8")).toMatch(/\n\/\/# sourceMappingURL=cli\.mjs\.map\n?$/);
    const map = JSON.parse(await readFile(`${bundle}.map`, "utf8")) as { sources: string[] };
    expect(map.sources).toContain("../src/value.ts");
    const built = await identity(bundle);
    await ensureBundle(spec);
    // Rebuilds are written to a temporary file and renamed: a new inode.
    expect(await identity(bundle)).toBe(built);
  });

  it("bundles the packages the sources import, leaves out one nothing uses, and keeps import() external", async () => {
    const spec = await project();
    const bundle = await ensureBundle(spec);
    const code = await readFile(bundle, "utf8");
    expect(code).toContain("hello from ");
    expect(code).not.toContain("unusedLoaded = true");
    expect(code).toContain(
      `import("${pathToFileURL(join(spec.root, "node_modules/late/index.js")).href}")`,
    );
    const module = (await import(`${pathToFileURL(bundle).href}?${Math.random()}`)) as {
      folder: string;
      own: string;
      later(): Promise<string>;
      unusedLoaded(): unknown;
    };
    // A CommonJS package's __dirname is its own folder, not the bundle's.
    expect(module.folder).toBe("legacy");
    // An ES module that declares its own __dirname from import.meta.url keeps it.
    expect(module.own).toBe(join(spec.root, "node_modules/modern"));
    expect(await module.later()).toBe(
      `late from ${pathToFileURL(join(spec.root, "node_modules/late/index.js")).href}`,
    );
    expect(module.unusedLoaded()).toBeUndefined();
  });

  it("rebuilds when a file of a bundled package changes", async () => {
    const spec = await project();
    await ensureBundle(spec);
    await writeFile(
      join(spec.root, "node_modules/greeting/index.js"),
      'export const greeting = "patched";\n',
    );
    expect(await load(await ensureBundle(spec))).toBe("patched 1");
  });

  it("keeps each module's own location where it asks for import.meta.url", async () => {
    const spec = { ...(await project()), entry: "src/where.ts" };
    const module = (await import(pathToFileURL(await ensureBundle(spec)).href)) as { here: string };
    expect(module.here).toBe(pathToFileURL(join(spec.root, "src/value.ts")).href);
  });

  it("rebuilds when a source changes, and runs the new code", async () => {
    const spec = await project();
    await ensureBundle(spec);
    await writeFile(join(spec.root, "src/value.ts"), "export const value: number = 2;\n");
    expect(await load(await ensureBundle(spec))).toMatch(/ 2$/);
  });

  it("rebuilds when a source file appears that could change what an import resolves to", async () => {
    const spec = await project();
    const bundle = await ensureBundle(spec);
    const built = await identity(bundle);
    await writeFile(join(spec.root, "src/other.ts"), "export {};\n");
    await ensureBundle(spec);
    expect(await identity(bundle)).not.toBe(built);
  });

  it("rebuilds when a stamped file changes (a reinstall, a manifest)", async () => {
    const spec = await project();
    const bundle = await ensureBundle(spec);
    const built = await identity(bundle);
    await writeFile(join(spec.root, "package.json"), JSON.stringify({ type: "module", x: 1 }));
    await ensureBundle(spec);
    expect(await identity(bundle)).not.toBe(built);
  });

  it("takes a corrupt stamp for a missing one: builds again instead of failing", async () => {
    const spec = await project();
    await ensureBundle(spec);
    await writeFile(join(spec.root, ".out/inputs.json"), '{"format": 1, "inpu');
    expect(await load(await ensureBundle(spec))).toMatch(/ 1$/);
    expect(JSON.parse(await readFile(join(spec.root, ".out/inputs.json"), "utf8"))).toMatchObject({
      format: 1,
    });
  });

  it("names the source and line when the source does not compile, and keeps the last bundle", async () => {
    const spec = await project();
    const bundle = await ensureBundle(spec);
    await writeFile(join(spec.root, "src/value.ts"), "export const value = ;\n");
    await expect(ensureBundle(spec)).rejects.toThrow(/^src\/value\.ts:1: Unexpected ";"$/);
    expect(await load(bundle)).toMatch(/ 1$/);
  });

  it("stamps every workspace source the pipeline's CLI is built from", async () => {
    await ensureBundle(PIPELINE_CLI);
    const stamp = JSON.parse(
      await readFile(join(REPO_ROOT, ".pipeline/cli/inputs.json"), "utf8"),
    ) as { inputs: Record<string, string> };
    const stamped = Object.keys(stamp.inputs);
    expect(stamped).toContain("pipeline/run-cli.ts");
    expect(stamped).toContain("dagger/src/core/index.ts");
    expect(stamped).toContain("packages/local-cloud/src/process/lifecycle.ts");
    const installed = stamped.filter((path) => path.includes("node_modules/"));
    expect(installed).toContain("node_modules/.modules.yaml");
    expect(installed.some((path) => /\/zod@[^/]+\/node_modules\/zod\//.test(path))).toBe(true);
    // Only the locale zod configures by default: `import { z }` took the whole namespace object,
    // every other language's messages with it (half the bundle), where `import * as z` lets
    // esbuild leave out what no schema uses.
    expect(installed.filter((path) => /\/zod\/.*\/locales\/(?!en\.js)/.test(path))).toEqual([]);
    // Loaded with import() when a run needs them, from node_modules: not in the bundle.
    expect(installed.filter((path) => /\/(?:wrangler|execa|miniflare)@/.test(path))).toEqual([]);
  });

  // The machines this runs on have the system's own Node beside the project's (CI's is Node 20).
  const olderNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
    const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout?.trim();
    return version !== undefined && unsupportedNode(version) !== undefined;
  });

  it.skipIf(olderNode === undefined)(
    "tells an older Node which version it needs in one line, before importing anything it lacks",
    async () => {
      const run = await execa(olderNode as string, ["pipeline/launch.mjs", "--help"], {
        cwd: REPO_ROOT,
        reject: false,
      });
      const version = (await execa(olderNode as string, ["--version"])).stdout.trim();
      expect(run.stderr).toBe(unsupportedNode(version));
      expect(run.stdout).toBe("");
      expect(run.exitCode).toBe(1);
    },
  );

  it("finishes its work and exits as it would when the reader of its output has gone", async () => {
    const child = spawn(process.execPath, ["pipeline/launch.mjs", "--help"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Closed before the child has even started Node: its first write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("names the build it runs, whose memo of the workspace's catalog the next run reads", async () => {
    const repo = await fixtureWith("workspace");
    // Discovery remembers nothing changed within the timestamp granularity of its read.
    await elapse(RACY_MS + 100);
    const graph = () =>
      execa(process.execPath, ["pipeline/launch.mjs", "graph", "--repo", repo], { cwd: REPO_ROOT });
    expect((await graph()).stdout).toContain("gateway -> auth (workspace+binding)");
    const memoFile = join(repo, ".pipeline/cache/catalog.json");
    const memo = JSON.parse(await readFile(memoFile, "utf8")) as { build: string };
    const bundle = await stat(join(REPO_ROOT, ".pipeline/cli/cli.mjs"), { bigint: true });
    expect(memo.build).toBe(`${bundle.mtimeNs}:${bundle.size}:${bundle.ino}`);
    // What the next run shows comes from the memo: a name only the memo holds.
    await writeFile(memoFile, JSON.stringify(memo).replaceAll('"gateway"', '"gateway-remembered"'));
    expect((await graph()).stdout).toContain("gateway-remembered -> auth");
  });
});
