import type { Container, Directory, Secret } from "@dagger.io/dagger";
import {
  type AnyDeployReport,
  analyticsMetricsReader,
  buildCiSteps,
  buildDeployPlan,
  CLOUDFLARE_API_BASE_URL,
  changedSinceDeployed,
  checkoutOrigin,
  DEFAULT_HEALTH_POLICY,
  type DeployContext,
  DeployJournal,
  type DeployTarget,
  defaultStrategy,
  detectAffected,
  discoverServices,
  envArgs,
  fetchHttpClient,
  findService,
  MemoryJournalStore,
  parseWranglerOutput,
  type Rollout,
  type RolloutOptions,
  type RunPlace,
  readDeployHistory,
  readToolchainVersions,
  renderPlan,
  renderTerminal,
  requireCloudTarget,
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
  type VersionMetricsReader,
  type VersionOrigin,
  type WorkerDeployer,
  WRANGLER_OUTPUT_ENV,
  type WranglerRun,
  workersDevUrl,
  wranglerWorkerDeployer,
} from "./core/index.js";
import {
  changeProbeContainer,
  containerChangeProbe,
  containerCommand,
} from "./runner/container-change-probe.js";
import { DirectoryRepoReader } from "./runner/directory-repo-reader.js";
import { execFailure } from "./runner/exec-outcome.js";
import { requireGitRef } from "./runner/git-ref.js";
import { stepContainers } from "./runner/step-containers.js";
import { WORKDIR } from "./runner/toolchain.js";

const OUTPUT_FILE = "/tmp/wrangler-output.ndjson";

export interface CloudflareSecrets {
  token?: Secret | undefined;
  accountId?: Secret | undefined;
}

/** A deploy, rollback or release whose report says it failed: `dagger call` exits non-zero. */
export class DeployFailedError extends Error {
  constructor(report: AnyDeployReport) {
    super(renderTerminal(report));
    this.name = "DeployFailedError";
  }
}

/**
 * The installed workspace with the Cloudflare credentials as secret variables: never argv,
 * never withEnvVariable, so they stay out of the engine's cache keys, logs and traces.
 */
export function wranglerContainer(
  workspace: Container,
  token: Secret,
  accountId: Secret,
): Container {
  return workspace
    .withSecretVariable("CLOUDFLARE_API_TOKEN", token)
    .withSecretVariable("CLOUDFLARE_ACCOUNT_ID", accountId)
    .withEnvVariable("WRANGLER_SEND_METRICS", "false");
}

/** wrangler calls in containers, for the core's WorkerDeployer. */
export class ContainerWorkerDeployer {
  private calls = 0;

  constructor(
    private readonly wrangler: Container,
    private readonly reader: DirectoryRepoReader,
    /** A `--secrets-file` path inside the wrangler container, per service (local deploys). */
    private readonly secretsFile?: (service: ServiceInfo) => Promise<string | undefined>,
  ) {}

  /**
   * The container of one wrangler call in the service's directory, built lazily. Each call is
   * distinct, so the engine never answers one from the cache of another.
   */
  command(service: ServiceInfo, args: string[]): Container {
    this.calls += 1;
    return this.wrangler
      .withEnvVariable("DEPLOY_CALL", `${Date.now()}-${this.calls}`)
      .withNewFile(OUTPUT_FILE, "")
      .withEnvVariable(WRANGLER_OUTPUT_ENV, OUTPUT_FILE)
      .withWorkdir(`${WORKDIR}/${service.dir}`)
      .withExec(["pnpm", "exec", "wrangler", ...args]);
  }

  /** One wrangler call in a container, read like the host reads its own. */
  async run(service: ServiceInfo, args: string[]): Promise<WranglerRun> {
    const ran = this.command(service, args);
    try {
      const [stdout, stderr, output] = await Promise.all([
        ran.stdout(),
        ran.stderr(),
        ran.file(OUTPUT_FILE).contents(),
      ]);
      return { exitCode: 0, stdout, stderr, records: parseWranglerOutput(output) };
    } catch (error) {
      // A failed call leaves no container to read the output file from; wrangler's
      // `command-failed` record only repeats the headline its stderr already has.
      return { ...execFailure(error), records: [] };
    }
  }

  /**
   * The same deployer the host uses, with each wrangler call run in a container. Rollbacks and
   * deployment-history reads stay `wrangler rollback` and `wrangler deployments list` here, where
   * the host calls the API itself (api-rollback.ts, api-deployment-history.ts): the token is
   * a Secret only containers see, and reading its plaintext into the module's own process to
   * send it would take it out of the engine's secret handling.
   */
  workerDeployer(
    origin?: VersionOrigin,
    place?: (service: ServiceInfo) => RunPlace | undefined,
  ): WorkerDeployer {
    return wranglerWorkerDeployer({
      run: (service, args) => this.run(service, args),
      reader: this.reader,
      origin,
      place,
      ...(this.secretsFile ? { secretsFile: this.secretsFile } : {}),
      manualRollbackCommand: (service, target, versionId) =>
        `dagger call rollback --service ${service.name} --env ${target} --to ${versionId}  (or: cd ${service.dir} && pnpm exec wrangler rollback ${versionId} ${envArgs(target).join(" ")} -y)`,
    });
  }
}

/**
 * The Dagger module's deploy functions over the shared orchestrator. One deploy per
 * environment at a time is enforced by the caller (the deploy workflow's concurrency group):
 * a Dagger function has no lasting place of its own to keep a lock in.
 */
export class DaggerDeployRunner {
  private catalogPromise: Promise<ServiceCatalog> | undefined;
  private toolchainPromise: Promise<ToolchainVersions> | undefined;
  private originPromise: Promise<VersionOrigin | undefined> | undefined;
  readonly reader: DirectoryRepoReader;

  constructor(
    private readonly source: Directory,
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

  /** A container with the repository's git history, for git's questions. */
  async gitContainer(): Promise<Container> {
    return changeProbeContainer(this.source, await this.toolchain());
  }

  /** The container wrangler runs in for `target`; fails before anything changes without credentials. */
  async wranglerFor(
    target: DeployTarget,
    secrets: CloudflareSecrets,
    /** What needs the credentials, for the error: "reading the deployments of production". */
    action = `deploying to ${target}`,
  ): Promise<Container> {
    const missing = [
      ...(secrets.token ? [] : ["--token"]),
      ...(secrets.accountId ? [] : ["--account"]),
    ];
    if (!secrets.token || !secrets.accountId) {
      throw new Error(
        `${action} needs ${missing.join(" and ")} (e.g. --token env://CLOUDFLARE_API_TOKEN --account env://CLOUDFLARE_ACCOUNT_ID, or DEPLOY_TOKEN and DEPLOY_ACCOUNT in the .env next to dagger.json); nothing was changed`,
      );
    }
    // Every deploy, rollback and history read passes here, so an unknown --env fails before any
    // container runs (the argument takes any string: environments are what the configs declare).
    const catalog = await this.catalog();
    requireCloudTarget(catalog, target);
    const steps = buildCiSteps(catalog, { parts: ["install"] });
    return wranglerContainer(
      stepContainers(this.source, steps, await this.toolchain()).workspace,
      secrets.token,
      secrets.accountId,
    );
  }

  /**
   * The source's commit, when its tracked files are that commit's; the run is `--run`, or
   * named by when it started, since a function sees nothing of the CI job that called it.
   */
  private origin(): Promise<VersionOrigin | undefined> {
    this.originPromise ??= this.gitContainer().then((git) =>
      checkoutOrigin(containerCommand(git), this.runId),
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
    return {
      target,
      journal,
      deployer: new ContainerWorkerDeployer(
        await this.wranglerFor(target, secrets),
        this.reader,
      ).workerDeployer(await this.origin(), (service) => journal.placeOf(service)),
      http: fetchHttpClient,
      endpoints: {
        baseUrl: async (_service, _target, deployed) => workersDevUrl(deployed?.urls ?? []),
      },
      clock: systemClock,
      health: DEFAULT_HEALTH_POLICY,
      // The engine shows a function's stdout live.
      progress: (line) => console.log(line),
      ...(rollout.strategy === "gradual"
        ? { gradual: { policy: rollout.policy, metrics: metricsReader(secrets) } }
        : {}),
      // No `interrupt`: the TypeScript SDK hands a function no cancellation to wire to it, so a
      // cancelled `dagger call` cannot roll back; the deploy workflow therefore never cancels a
      // deploy in progress (`cancel-in-progress: false`).
    };
  }

  private async chosen(service: string): Promise<string[]> {
    const catalog = await this.catalog();
    const names = service.split(",").map((name) => name.trim());
    return names.includes("all") ? serviceNames(catalog) : names;
  }

  /**
   * `--service` and/or `--base` (a git ref, or "deployed": each service since the commit it
   * serves), the union of both, as on the host. Credentials are only needed to read what is
   * deployed, or to deploy.
   */
  private async chooseForDeploy(
    selection: { service: string; base: string },
    target: DeployTarget,
    secrets: CloudflareSecrets,
  ): Promise<{ names: string[]; label: string; notes: string[] }> {
    const catalog = await this.catalog();
    const { service, base } = selection;
    if (service === "" && base === "") {
      throw new Error(
        `--service <name|all> or --base <ref|deployed> is required; services: ${serviceNames(catalog).join(", ")}`,
      );
    }
    const names = new Set(service === "" ? [] : await this.chosen(service));
    const labels = service === "" ? [] : [`--service ${service}`];
    const notes: string[] = [];
    const git = await this.gitContainer();
    const probe = () => containerChangeProbe(git);
    if (base === "deployed") {
      const wrangler = new ContainerWorkerDeployer(
        await this.wranglerFor(target, secrets, `reading what serves on ${target}`),
        this.reader,
      );
      const histories = await readDeployHistory(
        { run: (info, args) => wrangler.run(info, args) },
        servicesIn(catalog, target),
        target,
      );
      for (const choice of await changedSinceDeployed(catalog, histories, probe())) {
        names.add(choice.service);
        notes.push(`${choice.service}: ${choice.reason}`);
      }
      labels.push("changed since the commit each service serves");
    } else if (base !== "") {
      const affected = await detectAffected(catalog, probe(), requireGitRef(base));
      notes.push(...affected.warnings);
      for (const found of affected.services) names.add(found.name);
      labels.push(`affected since ${base}`);
    }
    return { names: [...names], label: labels.join(" + "), notes };
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
    const rollout = resolveRollout(
      target,
      rolloutOptions,
      (await this.catalog()).settings.rolloutStrategy,
    );
    const chosen = await this.chooseForDeploy(selection, target, secrets);
    // The engine shows a function's stdout live: why each service was chosen, before the plan.
    for (const note of chosen.notes) console.log(note);
    if (chosen.names.length === 0) {
      return `no services affected (${chosen.label}): nothing to deploy`;
    }
    const plan = await buildDeployPlan(
      this.reader,
      await this.catalog(),
      target,
      chosen.names,
      chosen.label,
    );
    if (dryRun) return renderPlan(plan, rollout);
    return this.finish(await runDeploy(await this.context(target, secrets, rollout), plan));
  }

  async rollback(
    service: string,
    target: DeployTarget,
    to: string | undefined,
    secrets: CloudflareSecrets,
  ): Promise<string> {
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
    // Without a strategy, the gradual options tune the stages gradual by default (production).
    const rollouts = (["staging", "production"] as const).map((target) =>
      resolveRollout(
        target,
        rolloutOptions.strategy === undefined && defaultStrategy(target) === "immediate"
          ? {}
          : rolloutOptions,
      ),
    );
    const catalog = await this.catalog();
    const names = await this.chosen(service);
    const stages = [];
    // Both plans and both contexts first: bad input or missing credentials change nothing.
    for (const [index, target] of (["staging", "production"] as const).entries()) {
      stages.push({
        plan: await buildDeployPlan(this.reader, catalog, target, names, `--service ${service}`),
        context: await this.context(target, secrets, rollouts[index]),
      });
    }
    return this.finish(await runRelease(stages, systemClock));
  }

  private finish(report: AnyDeployReport): string {
    if (!report.ok) throw new DeployFailedError(report);
    return renderTerminal(report);
  }
}

/**
 * Cloudflare's analytics API read from the module's own runtime. The secrets' values are read
 * only when a window is judged, and only into the request's headers: never into argv, a
 * container or a log.
 */
function metricsReader(secrets: CloudflareSecrets): VersionMetricsReader {
  return {
    async read(service, target, versionIds, since, until) {
      const { token, accountId } = secrets;
      if (!token || !accountId) throw new Error("reading analytics needs --token and --account");
      const reader = analyticsMetricsReader(fetchHttpClient, {
        apiBaseUrl: CLOUDFLARE_API_BASE_URL,
        apiToken: await token.plaintext(),
        accountId: await accountId.plaintext(),
      });
      return reader.read(service, target, versionIds, since, until);
    },
  };
}
