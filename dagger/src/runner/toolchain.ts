import {
  CacheSharingMode,
  type Container,
  type Directory,
  dag,
  ReturnType,
} from "@dagger.io/dagger";

/**
 * Debian, not the runtime's default Alpine: workerd (wrangler, Miniflare, the vitest plugin) is
 * glibc-linked. The exact tag matches the root `node` devDependency, so containers and the host
 * run the same Node.
 */
export const NODE_IMAGE = "node:24.21.0-trixie-slim";
/** The pnpm the lockfile was written with; .ci/run installs the same one on hosts. */
export const PNPM_VERSION = "12.21.0";
export const WORKDIR = "/workspace";
export const PNPM_STORE_PATH = "/pnpm-store";
/** Named after the pnpm major: stores of different majors use different layouts. */
export const PNPM_STORE_VOLUME = `pnpm-store-v${PNPM_VERSION.split(".")[0]}`;

/**
 * What `pnpm install` reads. Copying only these before the install keeps its layer cached across
 * source edits; any manifest change (a new dependency, a new workspace package) re-runs it.
 */
export const INSTALL_MANIFESTS = [
  "package.json",
  "**/package.json",
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  ".npmrc",
];

/**
 * Step containers never see the git history: a new commit with identical files must not bust
 * their caches. Only the change probe mounts `.git`.
 */
export const STEP_SOURCE_EXCLUDES = [".git"];

/** Node, git and pnpm; nothing from the repository yet. */
export function toolchainContainer(): Container {
  return (
    dag
      .container()
      .from(NODE_IMAGE)
      .withEnvVariable("CI", "true")
      .withEnvVariable("WRANGLER_SEND_METRICS", "false")
      // Colour codes would end up in log tails and reports (the host runner sets the same).
      .withEnvVariable("FORCE_COLOR", "0")
      .withEnvVariable("NO_COLOR", "1")
      // git: affected detection, and the tooling tests that build git repositories.
      .withExec(["apt-get", "update"])
      .withExec(["apt-get", "install", "--yes", "--no-install-recommends", "git"])
      .withExec(["npm", "install", "--global", `pnpm@${PNPM_VERSION}`])
      .withEnvVariable("pnpm_config_store_dir", PNPM_STORE_PATH)
      .withWorkdir(WORKDIR)
  );
}

/**
 * The install, from the manifests and lockfile alone, with the pnpm store on a cache volume for
 * the duration of that one command. The exit code is recorded, not enforced: the scheduler
 * decides what a failure stops, exactly as on the host.
 */
export function installedContainer(source: Directory, installCommand: string[]): Container {
  return (
    toolchainContainer()
      .withDirectory(WORKDIR, source, { include: INSTALL_MANIFESTS })
      // Locked: concurrent installs writing one store in shared mode corrupt it.
      .withMountedCache(PNPM_STORE_PATH, dag.cacheVolume(PNPM_STORE_VOLUME), {
        sharing: CacheSharingMode.Locked,
      })
      .withExec(installCommand, { expect: ReturnType.Any })
  );
}

/**
 * The installed dependencies with the sources copied over them: where steps run. The store is
 * unmounted first: node_modules holds copies (the cache is another file system), and a Locked
 * mount left in place would make parallel steps wait for each other.
 */
export function workspaceContainer(installed: Container, source: Directory): Container {
  return installed
    .withoutMount(PNPM_STORE_PATH)
    .withDirectory(WORKDIR, source, { exclude: STEP_SOURCE_EXCLUDES });
}
