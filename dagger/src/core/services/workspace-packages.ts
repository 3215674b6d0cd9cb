import picomatch from "picomatch";
import * as z from "zod";
import { parseConfig } from "../config/config-error.js";
import { readJsoncFile } from "../config/read-config.js";
import type { RepoReader } from "../repo-reader.js";

const PNPM_WORKSPACE_FILE = "pnpm-workspace.yaml";

const pnpmWorkspaceSchema = z.object({
  packages: z.array(z.string(), { error: "expected a list of package globs" }).optional(),
});
/** npm, yarn and bun list workspaces in package.json, as an array or `{ packages }`. */
const packageJsonWorkspacesSchema = z.object({
  workspaces: z
    .union([z.array(z.string()), z.object({ packages: z.array(z.string()) })])
    .optional(),
});

/**
 * The workspace's package globs: pnpm-workspace.yaml's `packages` first (pnpm's own rule), else
 * package.json `workspaces`; none means a repository with no workspace packages.
 */
export async function workspaceGlobs(reader: RepoReader): Promise<string[]> {
  const pnpmText = await reader.readText(PNPM_WORKSPACE_FILE);
  if (pnpmText !== undefined) {
    // Loaded here, where there is YAML to read: most runs take their workspace's catalog from the
    // host's memo (remembered-catalog.ts), and yaml's start-up was one of theirs.
    const { parse: parseYaml } = await import("yaml");
    const parsed = parseConfig(pnpmWorkspaceSchema, parseYaml(pnpmText) ?? {}, PNPM_WORKSPACE_FILE);
    return parsed.packages ?? [];
  }
  if ((await reader.readText("package.json")) === undefined) {
    return [];
  }
  const { workspaces } = parseConfig(
    packageJsonWorkspacesSchema,
    await readJsoncFile(reader, "package.json"),
    "package.json",
  );
  return Array.isArray(workspaces) ? workspaces : (workspaces?.packages ?? []);
}

/** Folders pnpm never treats as packages, whatever the globs say. */
const SKIPPED = new Set(["node_modules", ".git"]);

/**
 * The package folders the globs select, sorted: folders holding a package.json that match a
 * positive glob and no `!` glob. Walks only below each glob's literal base, through the reader,
 * so it runs the same over the host's disk and over a Dagger Directory.
 */
export async function expandWorkspaceGlobs(
  reader: RepoReader,
  globs: readonly string[],
): Promise<string[]> {
  const normalised = globs.map((glob) => glob.replace(/^(!?)\.\//, "$1").replace(/\/+$/, ""));
  const positive = normalised.filter((glob) => !glob.startsWith("!"));
  const negative = normalised.filter((glob) => glob.startsWith("!")).map((glob) => glob.slice(1));
  const included = picomatch(positive);
  const excluded = negative.length > 0 ? picomatch(negative) : () => false;
  const candidates = new Set<string>();
  for (const glob of positive) {
    const { base, glob: rest, isGlob } = picomatch.scan(glob);
    if (!isGlob) {
      candidates.add(glob);
      continue;
    }
    const depth = rest.includes("**") ? Number.POSITIVE_INFINITY : rest.split("/").length;
    for (const dir of await walk(reader, base, depth)) {
      candidates.add(dir);
    }
  }
  const selected: string[] = [];
  for (const dir of [...candidates].sort()) {
    if (
      included(dir) &&
      !excluded(dir) &&
      (await reader.readText(`${dir}/package.json`)) !== undefined
    ) {
      selected.push(dir);
    }
  }
  return selected;
}

/** Every folder below `base`, down to `depth` levels, skipping node_modules and dot folders. */
async function walk(reader: RepoReader, base: string, depth: number): Promise<string[]> {
  if (depth === 0) {
    return [];
  }
  const found: string[] = [];
  // "." rather than "": the Dagger Directory API wants a path.
  for (const name of await reader.listDirectories(base === "" ? "." : base)) {
    if (SKIPPED.has(name) || name.startsWith(".")) {
      continue;
    }
    const dir = base === "" ? name : `${base}/${name}`;
    found.push(dir, ...(await walk(reader, dir, depth - 1)));
  }
  return found;
}
