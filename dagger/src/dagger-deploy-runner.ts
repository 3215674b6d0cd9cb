import type { Container, Directory, Secret } from "@dagger.io/dagger";
import {
  type AnyDeployReport,
  buildCiSteps,
  type CloudflareDeployStack,
  checkoutOrigin,
  cloudflareDeployStack,
  commandChangeProbe,
  DEFAULT_HEALTH_POLICY,
  type DeployContext,
  DeployJournal,
  type DeployTarget,
  DetachedGitDirError,
  discoverServices,
  fetchHttpClient,
  findService,
  MemoryJournalStore,
  MissingCredentialsError,
  manualRollbackCommand,
  missingCredentials,
  nothingToDeploy,
  planRelease,
  prepareDeploy,
  type RepoReader,
  type Rollout,
  type RolloutOptions,
  type RunCommand,
  type RunPlace,
  readDeployHistory,
  readToolchainVersions,
  releaseRollouts,
  renderPlan,
  renderTerminal,
  requireCloudTarget,
  requireGitHistory,
  resolveRollout,
  runDeploy,
  runRelease,
  runRollback,
  type ServiceCatalog,
  type ServiceInfo,
  serviceNames,
  servicesIn,
  systemClock,
  type ToolchainVersions,
  UnknownServiceError,
  type VersionOrigin,
  workersDevUrl,
} from "./core/index.js";
import {
  CloudflareContainers,
  CONTAINER_CLOUDFLARE_API,
  wranglerContainer,
} from "./runner/cloudflare-containers.js";
import { changeProbeContainer, containerCommand } from "./runner/container-change-probe.js";
import { DirectoryRepoReader } from "./runner/directory-repo-reader.js";
import { stepContainers } from "./runner/step-containers.js";

export interface CloudflareSecrets {
  token?: Secret | undefined;
  accountId?: Secret | undefined;
}

/** The module's functions that take Cloudflare credentials, whose names prefix their .env keys. */
export type CredentialedFunction = "deploy" | "rollback" | "release" | "dora" | "recover";

/** A deploy, rollback or release whose report says it failed: `dagger call` exits non-zero. */
export class DeployFailedError extends Error {
  constructor(report: AnyDeployReport) {
    super(renderTerminal(report));
    this.name = "DeployFailedError";
  }
}

/**
 * The core's deploy stack with its ports in containers that hold the credentials as secret
 * variables: wrangler, and the API requests of rollbacks, deployment histories and metrics.
 */
export function containerDeployStack(
  cloudflare: Pick<CloudflareContainers, "wrangler" | "http">,
  reader: RepoReader,
  origin: VersionOrigin | undefined,
  /** Each upload's place in its run, for its annotation (the deploy journal's). */
  place?: (service: ServiceInfo) => RunPlace | undefined,
): CloudflareDeployStack {
  return cloudflareDeployStack({
    run: (service, args) => cloudflare.wrangler(service, args),
    reader,
    origin,
    ...(place ? { place } : {}),
    manualRollbackCommand: (service, target, versionId) =>
      manualRollbackCommand({ runner: "dagger" }, service, target, versionId),
    http: cloudflare.http,
    api: CONTAINER_CLOUDFLARE_API,
    // The engine shows a function's stdout live.
    notice: (line) => console.log(`  ! ${line}`),
    // The module deploys to Cloudflare only: its crons run on Cloudflare's clock.
    local: false,
  });
}

/**
 * The Dagger module's deploy functions over the core. One deploy per environment at a time is
 * enforced by the caller (the deploy workflow's concurrency group): a Dagger function has no
 * lasting place of its own to keep a lock in.
 */
export class DaggerDeployRunner {
  private catalogPromise: Promise<ServiceCatalog> | undefined;
  private toolchainPromise: Promise<ToolchainVersions> | undefined;
  private originPromise: Promise<VersionOrigin | undefined> | undefined;
  readonly reader: DirectoryRepoReader;

  constructor(
    private readonly source: Directory,
    /** Which function runs, for the .env keys a missing-credentials error names. */
    private readonly functionName: CredentialedFunction,
    /**
     * The CI run this call belongs to (`--run`), carried in every upload's annotation so that
     * a recovery job of the same run finds its deploys in the deployment history.
     */
    private readonly runId = `dagger-${new Date().toISOString().replace(/[-:.]/g, "")}`,
  ) {
    this.reader = new DirectoryRepoReader(source);
  }

  catalog(): Promise<ServiceCatalog> {
    this.catalogPromise ??= discoverServices(this.reader);
    return this.catalogPromise;
  }

  /** The Node and pnpm the repository asks for, which wrangler's container is built with. */
  toolchain(): Promise<ToolchainVersions> {
    this.toolchainPromise ??= readToolchainVersions(this.reader);
    return this.toolchainPromise;
  }

  /** A container with the repository's git history, for git's questions (`what` asks them). */
  async gitContainer(what: string): Promise<Container> {
    await requireGitHistory(this.reader, what);
    return changeProbeContainer(this.source, await this.toolchain());
  }

  /**
   * Both credentials, or an error naming what is missing and this function's .env keys. Checked
   * before anything is read through the engine, so a call without them changes nothing.
   */
  requireCredentials(
    secrets: CloudflareSecrets,
    /** What needs the credentials, for the error: "reading the deployments of production". */
    action: string,
  ): { token: Secret; accountId: Secret } {
    const { token, accountId } = secrets;
    if (!token || !accountId) {
      throw new MissingCredentialsError(action, missingCredentials({ token, account: accountId }), {
        runner: "dagger",
        functionName: this.functionName,
      });
    }
    return { token, accountId };
  }

  /** The containers of `target`'s ports; fails before anything changes without credentials. */
  async cloudflareFor(
    target: DeployTarget,
    secrets: CloudflareSecrets,
    action = `deploying to ${target}`,
  ): Promise<CloudflareContainers> {
    const { token, accountId } = this.requireCredentials(secrets, action);
    // Every deploy, rollback and history read passes here, so an unknown --env fails before any
    // container runs (the argument takes any string: environments are what the configs declare).
    const catalog = await this.catalog();
    requireCloudTarget(catalog, target);
    const steps = buildCiSteps(catalog, { parts: ["install"] });
    return new CloudflareContainers(
      wranglerContainer(
        stepContainers(this.source, steps, await this.toolchain()).workspace,
        token,
        accountId,
      ),
    );
  }

  /**
   * The source's commit, when its tracked files are that commit's; the run is `--run`, or
   * named by when it started, since a function sees nothing of the CI job that called it.
   */
  private origin(): Promise<VersionOrigin | undefined> {
    this.originPromise ??= this.gitContainer("recording the commit each version comes from").then(
      (git) => checkoutOrigin(containerCommand(git), this.runId),
      (error: unknown) => {
        if (!(error instanceof DetachedGitDirError)) throw error;
        // The deploy goes on; its versions just carry no commit to compare with later.
        console.log(`  ! ${error.message}`);
        return undefined;
      },
    );
    return this.originPromise;
  }

  async context(
    target: DeployTarget,
    secrets: CloudflareSecrets,
    rollout: Rollout = { strategy: "immediate" },
  ): Promise<DeployContext> {
    // Kept in memory: the container's disk goes with the call. What outlives it is each
    // upload's annotation (run and wave), which `recover` reads from the deployment history.
    const journal = new DeployJournal(
      new MemoryJournalStore(),
      this.runId,
      target,
      systemClock,
      (line) => console.log(line),
    );
    const { deployer, metrics } = containerDeployStack(
      await this.cloudflareFor(target, secrets),
      this.reader,
      await this.origin(),
      (service) => journal.placeOf(service),
    );
    return {
      target,
      journal,
      deployer,
      // Health checks and smoke tests ask the deployed Workers' public URLs: no credentials.
      http: fetchHttpClient,
      endpoints: {
        baseUrl: async (_service, _target, deployed) => workersDevUrl(deployed?.urls ?? []),
      },
      clock: systemClock,
      health: DEFAULT_HEALTH_POLICY,
      // The engine shows a function's stdout live.
      progress: (line) => console.log(line),
      ...(rollout.strategy === "gradual" ? { gradual: { policy: rollout.policy, metrics } } : {}),
      // No `interrupt`: the TypeScript SDK hands a function no cancellation to wire to it, so a
      // cancelled `dagger call` cannot roll back; the deploy workflow therefore never cancels a
      // deploy in progress (`cancel-in-progress: false`).
    };
  }

  async deploy(
    selection: { service: string; base: string },
    target: DeployTarget,
    secrets: CloudflareSecrets,
    dryRun: boolean,
    rolloutOptions: RolloutOptions = {},
  ): Promise<string> {
    // Bad rollout input fails before anything starts, discovery included (it reads the source
    // through the engine); then again with the repository's configured strategy.
    resolveRollout(target, rolloutOptions);
    if (!dryRun) this.requireCredentials(secrets, `deploying to ${target}`);
    const catalog = await this.catalog();
    // Only --base asks git, so only --base needs the history.
    const git: RunCommand = async (argv) =>
      containerCommand(await this.gitContainer("--base"))(argv);
    const { rollout, chosen, plan } = await prepareDeploy(
      this.reader,
      catalog,
      target,
      { services: [selection.service], base: selection.base },
      rolloutOptions,
      {
        changeProbe: () => commandChangeProbe(git),
        histories: async () => {
          const cloudflare = await this.cloudflareFor(
            target,
            secrets,
            `reading what serves on ${target}`,
          );
          return readDeployHistory(
            { run: (service, args) => cloudflare.wrangler(service, args) },
            servicesIn(catalog, target),
            target,
          );
        },
        // The engine shows a function's stdout live: why each service was chosen, before the plan.
        note: (line) => console.log(line),
      },
    );
    if (plan === undefined) return nothingToDeploy(chosen);
    if (dryRun) return renderPlan(plan, rollout);
    return this.finish(await runDeploy(await this.context(target, secrets, rollout), plan));
  }

  async rollback(
    service: string,
    target: DeployTarget,
    to: string | undefined,
    secrets: CloudflareSecrets,
  ): Promise<string> {
    this.requireCredentials(secrets, `rolling back ${service} on ${target}`);
    const catalog = await this.catalog();
    const info = findService(catalog, service);
    if (!info) throw new UnknownServiceError(service, serviceNames(catalog));
    return this.finish(await runRollback(await this.context(target, secrets), info, to));
  }

  async release(
    service: string,
    secrets: CloudflareSecrets,
    rolloutOptions: RolloutOptions = {},
  ): Promise<string> {
    releaseRollouts(rolloutOptions);
    this.requireCredentials(secrets, "releasing to staging and production");
    const planned = await planRelease(this.reader, await this.catalog(), [service], rolloutOptions);
    const stages = [];
    // Both contexts first: missing credentials or an unknown environment change nothing.
    for (const { plan, rollout } of planned) {
      stages.push({ plan, context: await this.context(plan.target, secrets, rollout) });
    }
    return this.finish(await runRelease(stages, systemClock));
  }

  private finish(report: AnyDeployReport): string {
    if (!report.ok) throw new DeployFailedError(report);
    return renderTerminal(report);
  }
}
