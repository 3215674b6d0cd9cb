import { buildCiSteps, type CiPart, requireServices } from "#core";
import type { CommandContext } from "../command.js";
import { loadWorkspace } from "../host/workspace.js";
import { type RunFlags, runStepsCommand } from "../run-steps-command.js";

interface CiPartCommand {
  name: string;
  parts: readonly CiPart[];
  /** Parts when `--service` narrows the run; absent when the command takes no `--service`. */
  serviceParts?: readonly CiPart[];
}

/** The handler of a command that runs one part of the CI step graph (typecheck, lint, test, ...). */
export function ciPartRunner(spec: CiPartCommand) {
  return {
    async run(flags: RunFlags & { service?: string[] | undefined }, context: CommandContext) {
      const services = flags.service;
      const { root, catalog } = await loadWorkspace(context.cwd, context.env);
      if (services) {
        requireServices(catalog, services);
      }
      const steps = buildCiSteps(catalog, {
        parts: services && spec.serviceParts ? spec.serviceParts : spec.parts,
        ...(services ? { services } : {}),
      });
      return runStepsCommand(`pipeline ${spec.name}`, steps, root, flags, context);
    },
  };
}
