import type { Container, Directory } from "@dagger.io/dagger";
import {
  GIT_EXCLUDES,
  INSTALL_STEP_ID,
  type Step,
  stepSourceFilter,
  type ToolchainVersions,
} from "../core/index.js";
import { installedContainer, withSources } from "./toolchain.js";

/**
 * The containers a step graph runs in. Every command step starts from the install layer plus the
 * sources it reads, never from another step's container, so the engine can run them side by
 * side.
 */
export interface StepContainers {
  installed: Container;
  /** The install plus the whole repository (without `.git`): for single steps and exports. */
  workspace: Container;
  /** The container after the step's command; evaluating it throws if the command fails. */
  afterStep(step: Step): Container;
}

export function stepContainers(
  source: Directory,
  steps: readonly Step[],
  versions: ToolchainVersions,
): StepContainers {
  const install = steps.find((step) => step.id === INSTALL_STEP_ID);
  if (!install?.command) {
    throw new Error(
      `the step graph has no "${INSTALL_STEP_ID}" command step to build containers from`,
    );
  }
  const installed = installedContainer(source, install.command, versions);
  return {
    installed,
    workspace: withSources(installed, source.filter({ exclude: GIT_EXCLUDES })),
    afterStep(step) {
      if (step.id === INSTALL_STEP_ID) {
        return installed;
      }
      if (!step.command) {
        throw new Error(`step ${step.id} has no command to run in a container`);
      }
      return withSources(installed, stepSource(source, step)).withExec(step.command);
    },
  };
}

/**
 * Only the files a step reads (see stepSourceFilter, which the host sandbox uses too). The engine
 * hashes a filtered directory by content, so a step reruns only when its own inputs change: an
 * edit to one service leaves the other services' test steps cached.
 */
export function stepSource(source: Directory, step: Step): Directory {
  return source.filter(stepSourceFilter(step));
}
