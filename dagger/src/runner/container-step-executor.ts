import type { Container } from "@dagger.io/dagger";
import {
  type CoverageMap,
  lastLines,
  parseCoverageMap,
  type Step,
  type StepExecutor,
  type StepIo,
  type StepOutcome,
} from "../core/index.js";
import { execFailure } from "./exec-outcome.js";
import type { StepContainers } from "./step-containers.js";

/** Runs each command step in its own container and reports it the way the host runner does. */
export class ContainerStepExecutor implements StepExecutor {
  constructor(private readonly containers: StepContainers) {}

  async execute(step: Step, io: StepIo): Promise<StepOutcome> {
    // Run once, then read the output and the coverage map from the synced container: a second
    // query naming the exec could run the step again (see runOnce).
    let container: Container;
    try {
      container = await this.containers.afterStep(step).sync();
    } catch (error) {
      const failed = execFailure(error);
      const log = [failed.stdout, failed.stderr].filter(Boolean).join("\n");
      io.onOutput(log);
      return { exitCode: failed.exitCode, logTail: lastLines(log) };
    }
    const output = await container.combinedOutput();
    io.onOutput(output);
    const coverageMap = step.coverageMap
      ? await readCoverage(container, step.coverageMap)
      : undefined;
    return { exitCode: 0, logTail: lastLines(output), ...(coverageMap ? { coverageMap } : {}) };
  }
}

/**
 * The container starts without any coverage folder (the source upload ignores them), so a map
 * found here was written by this step; a missing one fails the coverage gate. The gate merges the
 * maps of a subject's steps, each read from its own container.
 */
async function readCoverage(
  container: Container,
  mapPath: string,
): Promise<CoverageMap | undefined> {
  if (!(await container.exists(mapPath))) {
    return undefined;
  }
  return parseCoverageMap(await container.file(mapPath).contents());
}
