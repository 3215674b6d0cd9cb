import semver from "semver";
import type { RepoReader } from "./repo-reader.js";

/** Our own pins: what a repository that says nothing gets (and what this repository uses). */
export const DEFAULT_NODE_VERSION = "24.21.0";
export const DEFAULT_PNPM_VERSION = "12.21.0";

/**
 * The Node and pnpm the steps run with, taken from the repository so that containers build what
 * its developers build with. `source` says which file decided, for the report and for errors.
 */
export interface ToolchainVersions {
  node: { version: string; image: string; source: string };
  pnpm: { version: string; source: string };
}

/**
 * Node, first match wins: `.node-version`, `.nvmrc`, a root `node` devDependency installed from
 * npm (`npm:node@24.21.0`, as this repository does), then `engines.node` (a range: our default
 * when it satisfies it, else the newest release line the range allows, as `node:<major>`).
 * pnpm: `packageManager` (`pnpm@9.15.0+sha512...`), then `devEngines.packageManager`, then the
 * lockfile's format (`lockfileVersion` 6.0 was written by pnpm 8, 5.x by pnpm 7; 9.0 by pnpm 9
 * and every later one, so our default). `pnpm@8` installs the newest 8.x.
 */
export async function readToolchainVersions(reader: RepoReader): Promise<ToolchainVersions> {
  const manifest = await readManifest(reader);
  return {
    node: await nodeVersion(reader, manifest),
    pnpm: await pnpmVersion(reader, manifest),
  };
}

/** The image every step container starts from: Debian (workerd is glibc-linked), slim. */
export function nodeImage(version: string): string {
  return `node:${version}-trixie-slim`;
}

export class ToolchainVersionError extends Error {
  constructor(file: string, found: string, expected: string) {
    super(`${file}: "${found}" is not ${expected}`);
    this.name = "ToolchainVersionError";
  }
}

interface RootManifest {
  engines?: { node?: unknown };
  devDependencies?: Record<string, unknown>;
  packageManager?: unknown;
  devEngines?: { packageManager?: unknown };
}

async function readManifest(reader: RepoReader): Promise<RootManifest> {
  const text = await reader.readText("package.json");
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as RootManifest) : {};
  } catch (error) {
    throw new ToolchainVersionError("package.json", (error as Error).message, "valid JSON");
  }
}

const EXACT_OR_LINE = /^v?(\d+)(\.\d+){0,2}$/;

async function nodeVersion(
  reader: RepoReader,
  manifest: RootManifest,
): Promise<ToolchainVersions["node"]> {
  for (const file of [".node-version", ".nvmrc"]) {
    const text = (await reader.readText(file))?.trim();
    if (text === undefined || text === "") continue;
    const alias = nvmAlias(text);
    if (alias !== undefined) return pinnedNode(alias, file);
    if (!EXACT_OR_LINE.test(text)) {
      throw new ToolchainVersionError(
        file,
        text,
        'a Node version the node image has a tag for (e.g. "22", "22.12", "22.12.0" or "lts/jod")',
      );
    }
    return pinnedNode(text.replace(/^v/, ""), file);
  }
  const fromNpm = manifest.devDependencies?.node;
  if (typeof fromNpm === "string") {
    const exact = /^npm:node@(\d+\.\d+\.\d+)$/.exec(fromNpm)?.[1];
    if (exact !== undefined) return pinnedNode(exact, "package.json devDependencies.node");
  }
  const range = manifest.engines?.node;
  if (typeof range === "string") {
    if (semver.validRange(range) === null) {
      throw new ToolchainVersionError("package.json engines.node", range, "a semver range");
    }
    if (semver.satisfies(DEFAULT_NODE_VERSION, range)) {
      return pinnedNode(DEFAULT_NODE_VERSION, "package.json engines.node");
    }
    const lowest = semver.minVersion(range);
    if (lowest === null) {
      throw new ToolchainVersionError("package.json engines.node", range, "a satisfiable range");
    }
    return pinnedNode(String(lowest.major), "package.json engines.node");
  }
  return pinnedNode(DEFAULT_NODE_VERSION, "default");
}

/**
 * nvm's aliases, which many `.nvmrc` files hold: the newest LTS (or release) is our default, a
 * named LTS line is its major. Node names its LTS lines alphabetically, so the table only grows.
 */
function nvmAlias(text: string): string | undefined {
  const alias = text.toLowerCase();
  if (["lts/*", "lts", "node", "stable", "latest"].includes(alias)) return DEFAULT_NODE_VERSION;
  return LTS_LINES[alias.replace(/^lts\//, "")];
}

const LTS_LINES: Record<string, string> = {
  fermium: "14",
  gallium: "16",
  hydrogen: "18",
  iron: "20",
  jod: "22",
  krypton: "24",
};

function pinnedNode(version: string, source: string): ToolchainVersions["node"] {
  return { version, image: nodeImage(version), source };
}

async function pnpmVersion(
  reader: RepoReader,
  manifest: RootManifest,
): Promise<ToolchainVersions["pnpm"]> {
  const declared = manifest.packageManager;
  if (typeof declared === "string") {
    const [name, version = ""] = declared.split("+")[0]?.split("@") ?? [];
    if (semver.valid(version) === null) {
      throw new ToolchainVersionError(
        "package.json packageManager",
        declared,
        'a package manager at an exact version (e.g. "pnpm@9.15.0")',
      );
    }
    // Another manager runs the steps itself (see package-manager.ts); pnpm is then not used.
    return name === "pnpm"
      ? { version, source: "package.json packageManager" }
      : { version: DEFAULT_PNPM_VERSION, source: `unused: the steps run ${name}` };
  }
  const devEngine = manifest.devEngines?.packageManager;
  if (typeof devEngine === "object" && devEngine !== null) {
    const { name, version } = devEngine as { name?: unknown; version?: unknown };
    if (name === "pnpm" && typeof version === "string" && semver.validRange(version) !== null) {
      return { version, source: "package.json devEngines.packageManager" };
    }
  }
  const lockText = await reader.readText("pnpm-lock.yaml");
  if (lockText !== undefined) {
    const format = /^lockfileVersion:\s*['"]?([\d.]+)/.exec(lockText)?.[1] ?? "";
    const writer = LOCKFILE_WRITERS.find(([prefix]) => format.startsWith(prefix))?.[1];
    if (writer !== undefined) {
      return { version: writer, source: `pnpm-lock.yaml lockfileVersion ${format}` };
    }
  }
  return { version: DEFAULT_PNPM_VERSION, source: "default" };
}

/** Lockfile formats and the pnpm that reads them as its own: 9.0 is still current (ours). */
const LOCKFILE_WRITERS: readonly [string, string][] = [
  ["9.", DEFAULT_PNPM_VERSION],
  ["6.", "8"],
  ["5.", "7"],
];
