import type { Container, Directory, File } from "@dagger.io/dagger";
import {
  affectedCiSteps,
  buildCiSteps,
  type ChangeProbe,
  type CiPart,
  coverageDir,
  type DeployTarget,
  deployWaves,
  detectAffected,
  discoverServices,
  formatStepFinished,
  formatStepStarted,
  INSTALL_STEP_ID,
  partOf,
  type RepoReader,
  type RunEvent,
  type RunResult,
  readToolchainVersions,
  renderAffected,
  renderFailures,
  renderGraph,
  renderSummaryTable,
  requireDeployTarget,
  requireGitHistory,
  requireGitRef,
  requireServices,
  runSteps,
  type ServiceCatalog,
  type Step,
  type StepExecutor,
  serviceGraph,
  type ToolchainVersions,
} from "../core/index.js";
import { ciHtmlReport } from "./ci-html-report.js";
import { changeProbeContainer, containerChangeProbe } from "./container-change-probe.js";
import { ContainerStepExecutor } from "./container-step-executor.js";
import { DirectoryRepoReader } from "./directory-repo-reader.js";
import { type StepContainers, stepContainers } from "./step-containers.js";
import { WORKDIR } from "./toolchain.js";

/** A run in which some step did not pass; the message names it and ends with its log tail. */
export class StepsFailedError extends Error {
  constructor(readonly run: RunResult) {
    super(`${renderFailures(run) || "steps did not run"}\n\n${renderSummaryTable(run)}`);
    this.name = "StepsFailedError";
  }
}

/**
 * How the module reaches the repository and runs steps. In the engine: the source Directory and
 * containers; the parity test swaps in the host's reader and probe to compare plans offline.
 */
export interface PipelinePorts {
  reader: RepoReader;
  changeProbe(versions: ToolchainVersions): ChangeProbe;
  executor(containers: StepContainers): StepExecutor;
  log(line: string): void;
  /** Every event of every step run, for callers that keep more than the live lines. */
  onEvent?(event: RunEvent): void;
}

export function containerPorts(source: Directory): PipelinePorts {
  return {
    reader: new DirectoryRepoReader(source),
    changeProbe: (versions) => containerChangeProbe(changeProbeContainer(source, versions)),
    executor: (containers) => new ContainerStepExecutor(containers),
    // The engine shows a function's stdout live, like the host runner's lines.
    log: (line) => console.log(line),
  };
}

/** The module's functions over the shared core; index.ts only declares the CLI surface. */
export class ModulePipeline {
  private catalogPromise: Promise<ServiceCatalog> | undefined;
  private toolchainPromise: Promise<ToolchainVersions> | undefined;

  constructor(
    private readonly source: Directory,
    private readonly ports: PipelinePorts = containerPorts(source),
  ) {}

  catalog(): Promise<ServiceCatalog> {
    this.catalogPromise ??= discoverServices(this.ports.reader);
    return this.catalogPromise;
  }

  /** The Node and pnpm the repository asks for, which every container is built with. */
  toolchain(): Promise<ToolchainVersions> {
    this.toolchainPromise ??= readToolchainVersions(this.ports.reader);
    return this.toolchainPromise;
  }

  /**
   * One part of the graph (typecheck, lint, tooling, integration) on its own. A part of one step
   * returns the container after it, so callers can chain `terminal`, `stdout` or `export`; a part
   * of several (the tooling suites) runs them side by side through the scheduler, as `ci` does,
   * and returns the workspace with their coverage folders.
   */
  async part(part: CiPart): Promise<Container> {
    const steps = buildCiSteps(await this.catalog(), { parts: ["install", part] });
    const [step, ...more] = steps.filter((candidate) => partOf(candidate) === part);
    if (!step) {
      throw new Error(`the ${part} part of the step graph has no step`);
    }
    return more.length === 0 ? this.runAlone(steps, step.id) : this.withCoverage(steps);
  }

  /** One service's unit tests; without a service, every service's, their coverage merged. */
  async test(service?: string): Promise<Container> {
    const catalog = await this.catalog();
    if (service === undefined) {
      return this.withCoverage(buildCiSteps(catalog, { parts: ["install", "test"] }));
    }
    requireServices(catalog, [service]);
    const steps = buildCiSteps(catalog, { parts: ["install", "test"], services: [service] });
    // No container to return for a package without tests: its step's title says why.
    const step = findStep(steps, `test:${service}`);
    if (step.kind === "no-tests") {
      throw new Error(step.title);
    }
    return this.runAlone(steps, step.id);
  }

  /**
   * Every service's unit tests and the pipeline's own, and the coverage gate over both; the
   * workspace holds every report.
   */
  async coverage(): Promise<Container> {
    return this.withCoverage(
      buildCiSteps(await this.catalog(), { parts: ["install", "test", "tooling", "coverage"] }),
    );
  }

  /** The summary table `pnpm run pipeline ci` prints; throws naming the failed steps. */
  async ci(base?: string): Promise<string> {
    const catalog = await this.catalog();
    if (base === undefined) {
      return renderSummaryTable((await this.runOrThrow(buildCiSteps(catalog))).run);
    }
    await requireGitHistory(this.ports.reader, "ci --base");
    const affected = await detectAffected(
      catalog,
      this.ports.changeProbe(await this.toolchain()),
      requireGitRef(base),
    );
    const steps = affectedCiSteps(catalog, affected);
    if (steps.length === 0) {
      return `${renderAffected(affected)}\nnothing to test: ci passes without running any step`;
    }
    const { run } = await this.runOrThrow(steps);
    return `${renderAffected(affected)}\n\n${renderSummaryTable(run)}`;
  }

  async affected(base: string): Promise<string> {
    const catalog = await this.catalog();
    await requireGitHistory(this.ports.reader, "affected");
    return renderAffected(
      await detectAffected(
        catalog,
        this.ports.changeProbe(await this.toolchain()),
        requireGitRef(base),
      ),
    );
  }

  async graph(target: DeployTarget): Promise<string> {
    const catalog = await this.catalog();
    requireDeployTarget(catalog, target);
    return renderGraph(serviceGraph(catalog, target), deployWaves(catalog, target));
  }

  /**
   * The HTML report of the run `ci` makes (the same steps, so the engine answers the steps that
   * passed from its cache): a failed run is reported too, not thrown.
   */
  async report(base?: string): Promise<File> {
    const catalog = await this.catalog();
    const steps =
      base === undefined
        ? buildCiSteps(catalog)
        : affectedCiSteps(
            catalog,
            await detectAffected(
              catalog,
              this.ports.changeProbe(await this.toolchain()),
              requireGitRef(base),
            ),
          );
    const startedAt = new Date();
    const { run, containers } = await this.runAll(steps);
    return ciHtmlReport(steps, run, startedAt, containers.installed);
  }

  private async runOrThrow(steps: Step[]): Promise<{ run: RunResult; containers: StepContainers }> {
    const result = await this.runAll(steps);
    if (result.run.exitCode !== 0) {
      throw new StepsFailedError(result.run);
    }
    return result;
  }

  /** Runs the steps with the shared scheduler, printing the host runner's live lines. */
  private async runAll(steps: Step[]): Promise<{ run: RunResult; containers: StepContainers }> {
    const containers = stepContainers(this.source, steps, await this.toolchain());
    const run = await runSteps(steps, this.ports.executor(containers), {
      onEvent: (event) => {
        this.ports.onEvent?.(event);
        if (event.type === "start") {
          this.ports.log(formatStepStarted(event.step));
        } else if (event.type === "end") {
          this.ports.log(formatStepFinished(event.result));
        }
      },
    });
    return { run, containers };
  }

  /**
   * Installs through the scheduler (a failed install is reported like on the host), then runs
   * the step's own container, the one `ci` runs (so a check after `ci` is answered from the
   * cache): a failure fails the call with the command's output, and `dagger call -i` opens a
   * terminal right at the failing command.
   */
  private async runAlone(steps: Step[], stepId: string): Promise<Container> {
    const step = findStep(steps, stepId);
    const { containers } = await this.runOrThrow(
      steps.filter((candidate) => candidate.id === INSTALL_STEP_ID),
    );
    return containers.afterStep(step).sync();
  }

  /** The workspace with each test step's coverage folder copied back, ready to `export`. */
  private async withCoverage(steps: Step[]): Promise<Container> {
    const { containers } = await this.runOrThrow(steps);
    return steps
      .filter((step) => step.coverageMap !== undefined)
      .reduce((workspace, step) => {
        const dir = coverageDir(step.coverageMap as string);
        return workspace.withDirectory(
          `${WORKDIR}/${dir}`,
          containers.afterStep(step).directory(`${WORKDIR}/${dir}`),
        );
      }, containers.workspace);
  }
}

function findStep(steps: readonly Step[], id: string): Step {
  const step = steps.find((candidate) => candidate.id === id);
  if (!step) {
    throw new Error(`the step graph has no step "${id}"`);
  }
  return step;
}
