import type { Container, Directory } from "@dagger.io/dagger";
import {
  type ChangeProbe,
  commandChangeProbe,
  type RunCommand,
  type ToolchainVersions,
} from "../core/index.js";
import { runOnce } from "./exec-outcome.js";
import { toolchainContainer, WORKDIR } from "./toolchain.js";

/** Git history is only needed here, so only this container gets `.git`. */
export function changeProbeContainer(source: Directory, versions: ToolchainVersions): Container {
  return (
    toolchainContainer(versions)
      // The copied repository belongs to another uid than the one git runs as.
      .withExec(["git", "config", "--global", "--add", "safe.directory", WORKDIR])
      .withDirectory(WORKDIR, source)
  );
}

/** Runs one command (argv, no shell) in the container, as the core's RunCommand. */
export function containerCommand(container: Container): RunCommand {
  return (argv) => runOnce(container.withExec(argv));
}

/** The core's git and pnpm questions, asked inside a container. */
export function containerChangeProbe(container: Container): ChangeProbe {
  return commandChangeProbe(containerCommand(container));
}
