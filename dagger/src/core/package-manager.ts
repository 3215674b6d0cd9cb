import type { RepoReader } from "./repo-reader.js";

export const PACKAGE_MANAGERS = ["pnpm", "npm", "yarn", "yarn-classic", "bun"] as const;
/** `yarn` is yarn 2 and later (berry); `yarn-classic` is yarn 1, whose commands differ. */
export type PackageManagerName = (typeof PACKAGE_MANAGERS)[number];

/** The repository's package manager, and the version it declares when it declares one. */
export interface PackageManager {
  name: PackageManagerName;
  /** An exact version from `packageManager`, else undefined: whichever is installed runs. */
  version?: string;
  /** What decided, for the report and for errors. */
  source: string;
}

export class PackageManagerError extends Error {
  constructor(found: string) {
    super(
      `package.json packageManager: "${found}" is not <name>@<exact version> with name one of pnpm, npm, yarn, bun (e.g. "yarn@4.5.0")`,
    );
    this.name = "PackageManagerError";
  }
}

/** Lockfiles, in the order they decide when `packageManager` says nothing. */
const LOCKFILES: readonly [string, PackageManagerName][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["pnpm-workspace.yaml", "pnpm"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
];

/**
 * `packageManager` in the root package.json (corepack's field) first, then the lockfile (a
 * yarn.lock is yarn classic's unless `.yarnrc.yml`, berry's config, sits beside it), else pnpm.
 */
export async function detectPackageManager(reader: RepoReader): Promise<PackageManager> {
  const declared = declaredPackageManager(await reader.readText("package.json"));
  if (declared !== undefined) {
    // Loaded here, where a version is checked: most runs take their workspace's catalog from
    // the host's memo (remembered-catalog.ts), and semver's start-up was one of theirs.
    const { default: semver } = await import("semver");
    const [name = "", version = ""] = declared.split("+")[0]?.split("@") ?? [];
    if (semver.valid(version) === null || !["pnpm", "npm", "yarn", "bun"].includes(name)) {
      throw new PackageManagerError(declared);
    }
    const resolved: PackageManagerName =
      name === "yarn" && semver.major(version) === 1
        ? "yarn-classic"
        : (name as PackageManagerName);
    return { name: resolved, version, source: "package.json packageManager" };
  }
  for (const [file, name] of LOCKFILES) {
    if ((await reader.readText(file)) !== undefined) {
      const classic = name === "yarn" && (await reader.readText(".yarnrc.yml")) === undefined;
      return { name: classic ? "yarn-classic" : name, source: file };
    }
  }
  return { name: "pnpm", source: "default" };
}

function declaredPackageManager(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const field = (parsed as { packageManager?: unknown } | null)?.packageManager;
    return typeof field === "string" ? field : undefined;
  } catch {
    // A broken package.json is reported by discovery, which reads it with positions.
    return undefined;
  }
}

/** A workspace package as the commands address it. */
export interface PackageRef {
  packageName: string;
  dir: string;
}

/**
 * The argv of each kind of step, in the repository's own package manager. A declared version of
 * npm, yarn or bun runs through `npx` at that version (pnpm switches to a declared version
 * itself), so the steps run what the repository's developers run.
 */
export interface PackageManagerCommands {
  install: string[];
  /** A root package.json script, with extra arguments for it. */
  runRoot(script: string, args?: readonly string[]): string[];
  /** A binary installed at the root. */
  execRoot(bin: string, args: readonly string[]): string[];
  /** One package's script. */
  run(pkg: PackageRef, script: string, args?: readonly string[]): string[];
  /** A binary, run in one package's folder. */
  exec(pkg: PackageRef, bin: string, args: readonly string[]): string[];
  /** The same script in several packages, as one command. */
  runEach(pkgs: readonly PackageRef[], script: string): string[];
}

export function packageManagerCommands(manager: PackageManager): PackageManagerCommands {
  const pm = launcher(manager);
  switch (manager.name) {
    case "pnpm":
      return {
        install: [...pm, "install", "--frozen-lockfile"],
        runRoot: (script, args = []) => [...pm, "run", script, ...args],
        execRoot: (bin, args) => [...pm, "exec", bin, ...args],
        run: (pkg, script, args = []) => [
          ...pm,
          "--filter",
          pkg.packageName,
          "run",
          script,
          ...args,
        ],
        exec: (pkg, bin, args) => [...pm, "--filter", pkg.packageName, "exec", bin, ...args],
        runEach: (pkgs, script) => [
          ...pm,
          ...pkgs.flatMap((pkg) => ["--filter", pkg.packageName]),
          "run",
          script,
        ],
      };
    case "npm":
      return {
        install: [...pm, "ci"],
        runRoot: (script, args = []) => [...pm, "run", script, ...dashDash(args)],
        execRoot: (bin, args) => [...pm, "exec", "--", bin, ...args],
        run: (pkg, script, args = []) => [
          ...pm,
          "run",
          script,
          "--workspace",
          pkg.packageName,
          ...dashDash(args),
        ],
        exec: (pkg, bin, args) => [
          ...pm,
          "exec",
          "--workspace",
          pkg.packageName,
          "--",
          bin,
          ...args,
        ],
        runEach: (pkgs, script) => [
          ...pm,
          "run",
          script,
          ...pkgs.flatMap((pkg) => ["--workspace", pkg.packageName]),
        ],
      };
    case "yarn":
      return {
        install: [...pm, "install", "--immutable"],
        runRoot: (script, args = []) => [...pm, "run", script, ...args],
        execRoot: (bin, args) => [...pm, "exec", bin, ...args],
        run: (pkg, script, args = []) => [
          ...pm,
          "workspace",
          pkg.packageName,
          "run",
          script,
          ...args,
        ],
        exec: (pkg, bin, args) => [...pm, "workspace", pkg.packageName, "exec", bin, ...args],
        runEach: (pkgs, script) => [
          ...pm,
          "workspaces",
          "foreach",
          "--all",
          ...pkgs.flatMap((pkg) => ["--include", pkg.packageName]),
          "run",
          script,
        ],
      };
    case "yarn-classic":
      return {
        install: [...pm, "install", "--frozen-lockfile"],
        runRoot: (script, args = []) => [...pm, "run", script, ...args],
        // yarn 1's `run` also runs the binaries of node_modules/.bin.
        execRoot: (bin, args) => [...pm, "run", bin, ...args],
        run: (pkg, script, args = []) => [
          ...pm,
          "workspace",
          pkg.packageName,
          "run",
          script,
          ...args,
        ],
        exec: (pkg, bin, args) => [...pm, "workspace", pkg.packageName, "run", bin, ...args],
        // yarn 1 cannot choose workspaces for one command: the root script checks them all.
        runEach: (_, script) => [...pm, "run", script],
      };
    case "bun":
      return {
        install: [...pm, "install", "--frozen-lockfile"],
        runRoot: (script, args = []) => [...pm, "run", script, ...args],
        execRoot: (bin, args) => [...pm, "x", bin, ...args],
        run: (pkg, script, args = []) => [
          ...pm,
          "run",
          "--filter",
          pkg.packageName,
          script,
          ...args,
        ],
        // `bun run` in a folder also runs its node_modules/.bin (and its parents').
        exec: (pkg, bin, args) => [...pm, "run", "--cwd", pkg.dir, bin, ...args],
        runEach: (pkgs, script) => [
          ...pm,
          "run",
          ...pkgs.flatMap((pkg) => ["--filter", pkg.packageName]),
          script,
        ],
      };
  }
}

/** How to start the manager: its declared version through npx, else whichever is installed. */
function launcher(manager: PackageManager): string[] {
  if (manager.version === undefined || manager.name === "pnpm") {
    return [manager.name === "yarn-classic" ? "yarn" : manager.name];
  }
  // yarn 2+ is published as @yarnpkg/cli-dist; yarn 1, npm and bun under their own names.
  const spec =
    manager.name === "yarn"
      ? `@yarnpkg/cli-dist@${manager.version}`
      : `${manager.name === "yarn-classic" ? "yarn" : manager.name}@${manager.version}`;
  const bin = manager.name === "yarn-classic" ? "yarn" : manager.name;
  return ["npx", "--yes", `--package=${spec}`, "--", bin];
}

/** npm passes arguments to a script only after `--`. */
function dashDash(args: readonly string[]): string[] {
  return args.length === 0 ? [] : ["--", ...args];
}
