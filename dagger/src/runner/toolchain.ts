import { CacheSharingMode, type Container, type Directory, dag } from "@dagger.io/dagger";
import { INSTALL_MANIFESTS, type ToolchainVersions } from "../core/index.js";

export const WORKDIR = "/workspace";
export const PNPM_STORE_PATH = "/pnpm-store";

/** Named after the pnpm major: stores of different majors use different layouts. */
export function pnpmStoreVolume(pnpmVersion: string): string {
  return `pnpm-store-v${pnpmVersion.replace(/^[^\d]*/, "").split(".")[0]}`;
}

/**

/**
 * Node, git and pnpm at the versions the repository asks for (see toolchain-versions.ts); nothing
 * from the repository yet. The image is Debian, not the runtime's default Alpine: workerd
 * (wrangler, Miniflare, the vitest plugin) is glibc-linked.
 */
export function toolchainContainer(versions: ToolchainVersions): Container {
  return (
    dag
      .container()
      .from(versions.node.image)
      .withEnvVariable("CI", "true")
      .withEnvVariable("WRANGLER_SEND_METRICS", "false")
      // Colour codes would end up in log tails and reports (the host runner sets the same).
      .withEnvVariable("FORCE_COLOR", "0")
      .withEnvVariable("NO_COLOR", "1")
      // git: affected detection, and the tooling tests that build git repositories.
      .withExec(["apt-get", "update"])
      .withExec(["apt-get", "install", "--yes", "--no-install-recommends", "git"])
      .withExec(["npm", "install", "--global", `pnpm@${versions.pnpm.version}`])
      .withEnvVariable("pnpm_config_store_dir", PNPM_STORE_PATH)
      .withWorkdir(WORKDIR)
  );
}

/**
 * The install, from the manifests and lockfile alone, with the pnpm store on a cache volume for
 * the duration of that one command. A failed install throws when evaluated and is not cached;
 * the executor turns it into the step's outcome, so the scheduler decides what it stops.
 */
export function installedContainer(
  source: Directory,
  installCommand: string[],
  versions: ToolchainVersions,
): Container {
  return (
    toolchainContainer(versions)
      .withDirectory(WORKDIR, source.filter({ include: INSTALL_MANIFESTS }))
      // Locked: concurrent installs writing one store in shared mode corrupt it.
      .withMountedCache(PNPM_STORE_PATH, dag.cacheVolume(pnpmStoreVolume(versions.pnpm.version)), {
        sharing: CacheSharingMode.Locked,
      })
      .withExec(installCommand)
      // node_modules holds copies (the cache is another file system), and a Locked mount left in
      // place would make parallel steps wait for each other.
      .withoutMount(PNPM_STORE_PATH)
  );
}

/**
 * The installed dependencies with the sources copied over them: `source` is already filtered to
 * what the container may see (see the core's stepSourceFilter), so its digest is its content.
 */
export function withSources(installed: Container, source: Directory): Container {
  return installed.withDirectory(WORKDIR, source);
}
