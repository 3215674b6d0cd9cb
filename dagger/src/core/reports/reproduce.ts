import type { StepResult } from "../scheduler.js";

/**
 * How to run a failed step again on one's own machine: the module's function that runs it, the
 * same call ending in a shell in its container, and the host runner's command.
 */
export interface Reproduction {
  dagger: string;
  terminal: string;
  host: string;
}

/** The function (and its arguments) of the module, and the host command, that run a step's part. */
const BY_PART: Record<string, (step: Pick<StepResult, "service">) => [string, string]> = {
  // Every function installs first; typecheck is the smallest that also builds.
  install: () => ["typecheck", "typecheck"],
  build: () => ["typecheck", "typecheck"],
  typecheck: () => ["typecheck", "typecheck"],
  lint: () => ["lint", "lint"],
  test: ({ service }) =>
    service === undefined
      ? ["test", "test"]
      : [`test --service ${service}`, `test --service ${service}`],
  // The pipeline's own suites run with every service's unit tests on the host.
  tooling: () => ["tooling", "test"],
  integration: () => ["integration", "integration"],
  coverage: () => ["coverage", "coverage"],
};

export function reproduceStep(step: Pick<StepResult, "id" | "service">): Reproduction {
  const part = step.id.split(":")[0] ?? step.id;
  const [fn, command] = (BY_PART[part] ?? (() => ["ci", "ci"]))(step);
  return {
    dagger: `dagger call ${fn}`,
    terminal: `dagger call ${fn} terminal`,
    host: `pnpm run pipeline ${command}`,
  };
}

export function reproductionLines(step: Pick<StepResult, "id" | "service">): string[] {
  const { dagger, terminal, host } = reproduceStep(step);
  return [dagger, `${terminal}  # a shell in its container`, host];
}
