import { type Container, type Directory, ReturnType } from "@dagger.io/dagger";
import type { Step } from "../core/steps.js";
import { installedContainer, workspaceContainer } from "./toolchain.js";

export const INSTALL_STEP_ID = "install";

/**
 * The containers a step graph runs in. Every command step starts from the same workspace (the
 * install layer plus the sources), never from another step's container, so the engine can run
 * them side by side.
 */
export interface StepContainers {
  installed: Container;
  workspace: Container;
  /** The container after the step's command; a failing command is recorded, not raised. */
  afterStep(step: Step): Container;
}

export function stepContainers(source: Directory, steps: readonly Step[]): StepContainers {
  const install = steps.find((step) => step.id === INSTALL_STEP_ID);
  if (!install?.command) {
    throw new Error(
      `the step graph has no "${INSTALL_STEP_ID}" command step to build containers from`,
    );
  }
  const installed = installedContainer(source, install.command);
  const workspace = workspaceContainer(installed, source);
  return {
    installed,
    workspace,
    afterStep(step) {
      if (step.id === INSTALL_STEP_ID) {
        return installed;
      }
      if (!step.command) {
        throw new Error(`step ${step.id} has no command to run in a container`);
      }
      return workspace.withExec(step.command, { expect: ReturnType.Any });
    },
  };
}
