import { requireServices } from "../dagger/src/core/services/catalog.js";
import { buildCiSteps, type CiPart } from "../dagger/src/core/steps.js";
import { type PipelineCommand, parseCommandArgs } from "./command.js";
import { loadWorkspace } from "./host/workspace.js";
import { RUN_OPTIONS, runStepsCommand } from "./run-steps-command.js";

interface StepsCommandSpec {
  name: string;
  summary: string;
  parts: readonly CiPart[];
  /** Parts when `--service` narrows the run; absent when the command takes no `--service`. */
  serviceParts?: readonly CiPart[];
}

const WITH_SERVICE = { ...RUN_OPTIONS, service: { type: "string", multiple: true } } as const;

/** A command that runs one part of the CI step graph (typecheck, lint, test, ...). */
export function stepsCommand(spec: StepsCommandSpec): PipelineCommand {
  return {
    summary: spec.summary,
    async run(args, context) {
      const flags = spec.serviceParts
        ? parseCommandArgs(spec.name, args, WITH_SERVICE)
        : parseCommandArgs(spec.name, args, RUN_OPTIONS);
      const services: string[] | undefined =
        "service" in flags ? (flags.service as string[] | undefined) : undefined;
      const { root, catalog } = await loadWorkspace(context.cwd);
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
