/**
 * CI/CD for the Workers monorepo: the same step graph as `pnpm run pipeline`, run in containers.
 *
 * `dagger call ci` runs install, typecheck, lint, every service's unit tests in parallel, the
 * tooling and integration suites and the 80% coverage gate; `dagger check` runs each part.
 */
import {
  argument,
  type Container,
  check,
  type Directory,
  type File,
  func,
  object,
  type Secret,
} from "@dagger.io/dagger";
import { SOURCE_IGNORE } from "./core/index.js";
import { DaggerDeployRunner } from "./dagger-deploy-runner.js";
import { daggerRecover } from "./dagger-recover-runner.js";
import { DoraFormat } from "./dora-format.js";
import { DaggerDoraRunner } from "./dora-runner.js";
import type { RolloutStrategy } from "./rollout-strategy.js";
import { ModulePipeline } from "./runner/module-pipeline.js";

@object()
export class Workers {
  source: Directory;

  constructor(
    /**
     * The repository (default: the module's root). Its git history is used by --base; installed
     * and built output, logs, .env and .dev.vars files and the pipeline's local state are left out.
     */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE })
    source: Directory,
  ) {
    this.source = source;
  }

  /** Typecheck every package (tsgo, the native TypeScript compiler); returns the container after the step. */
  @func()
  @check()
  async typecheck(): Promise<Container> {
    return new ModulePipeline(this.source).part("typecheck");
  }

  /** Lint and format check (biome ci); returns the container after the step. */
  @func()
  @check()
  async lint(): Promise<Container> {
    return new ModulePipeline(this.source).part("lint");
  }

  /**
   * Unit tests with coverage. With --service, that service's container after the run (chain
   * `terminal`; on a failure, `dagger call -i` opens the shell at the failing command). Without
   * it, every service in parallel, returning the workspace with their coverage folders.
   */
  @func()
  @check()
  async test(
    /** A Worker (its folder name), e.g. gateway; all of them when omitted. */
    service?: string,
  ): Promise<Container> {
    return new ModulePipeline(this.source).test(service);
  }

  /**
   * The pipeline's own tests (scheduler, affected rules, Dagger checks, workflows, deploys to the
   * local control plane), one step per suite side by side; returns the workspace with their
   * coverage maps.
   */
  @func()
  @check()
  async tooling(): Promise<Container> {
    return new ModulePipeline(this.source).part("tooling");
  }

  /** Integration tests: every worker together in workerd; returns the container after the step. */
  @func()
  @check()
  async integration(): Promise<Container> {
    return new ModulePipeline(this.source).part("integration");
  }

  /**
   * Every service's unit tests, the pipeline's own, and the 80% coverage gate on each service and
   * on the pipeline code; returns the workspace with reports.
   */
  @func()
  @check()
  async coverage(): Promise<Container> {
    return new ModulePipeline(this.source).coverage();
  }

  /**
   * The whole graph, as `pnpm run pipeline ci`: returns its summary table and fails naming each
   * failed step with the tail of its log.
   */
  @func()
  async ci(
    /** Test only what changed since this git ref (e.g. origin/main) and what depends on it. */
    base?: string,
  ): Promise<string> {
    return new ModulePipeline(this.source).ci(base);
  }

  /**
   * The HTML report of the `ci` run of this source, as the host runner writes it: a timeline of
   * the steps with the critical path, each step's log and the coverage table, one offline file.
   * The engine answers the steps `ci` already ran from its cache. `dagger call report export
   * --path report.html`.
   */
  @func()
  async report(
    /** Report the run `ci --base <ref>` makes: only what changed since this git ref. */
    base?: string,
  ): Promise<File> {
    return new ModulePipeline(this.source).report(base);
  }

  /** The services affected since a git ref, each with a one-line reason. */
  @func()
  async affected(
    /** The git ref to compare with, e.g. origin/main or HEAD~1. */
    base: string,
  ): Promise<string> {
    return new ModulePipeline(this.source).affected(base);
  }

  /** The service graph (service bindings, external Workers, other bindings, libraries) and its deploy waves. */
  @func()
  async graph(
    /** Whose bindings to follow: an environment the wrangler configs declare, or @local (the top level). */
    env = "production",
  ): Promise<string> {
    return new ModulePipeline(this.source).graph(env);
  }

  /**
   * Deploy to Cloudflare in dependency waves (a wave in parallel), each service health-checked
   * and smoke-tested; any failure rolls back everything this run deployed. Returns the report;
   * fails with it (a failed rollback on its first line) when anything failed.
   */
  @func({ cache: "never" })
  async deploy(
    /** The environment to deploy to: one the wrangler configs declare (env.<name>). */
    env: string,
    /** A Worker (its folder name), a comma-separated list, or "all"; with --base, the union. */
    service = "",
    /**
     * Also deploy what changed since this git ref; "deployed": each service since the commit its
     * serving version records (what the deploy workflow uses on a push).
     */
    base = "",
    /** Cloudflare API token: --token env://CLOUDFLARE_API_TOKEN, or DEPLOY_TOKEN in .env. */
    token?: Secret,
    /**
     * Cloudflare account id: --account env://CLOUDFLARE_ACCOUNT_ID, or DEPLOY_ACCOUNT in .env
     * (Dagger matches .env keys to argument names without dropping underscores).
     */
    account?: Secret,
    /** Print the plan (waves, smoke tests) and change nothing. */
    dryRun = false,
    /**
     * gradual: upload, then move traffic in steps, each below 100% judged on live metrics;
     * immediate: all at once. Default: gradual for production, immediate for staging.
     */
    strategy?: RolloutStrategy,
    /** Gradual: the new version's share at each step, rising, ending at 100 (default 10,50,100). */
    steps?: string,
    /** Gradual: seconds each step below 100% serves before it is judged (default 60). */
    window?: string,
    /** Gradual: a step fails above this error rate of the new version, in percent (default 5). */
    maxErrorRate?: string,
    /**
     * Gradual: a step fails when the new version's p95 is above this multiple of the old
     * version's and above 100 ms (default 2).
     */
    maxLatencyRatio?: string,
    /** Gradual: requests each version needs in a window before it can pass or be compared (default 20). */
    minSample?: string,
    /** Gradual: seconds a step waits past its window for the minimum sample (default 300). */
    maxWait?: string,
    /**
     * Gradual: seconds the new version bakes at 100% against the old version's pre-deploy
     * baseline, rolled back on the same tests; 0 skips (default 900 production, 300 staging).
     */
    bake?: string,
    /** Gradual: probe requests per second to each version, from the smoke tests (default 0). */
    probes?: string,
    /**
     * The CI run this deploy belongs to (e.g. gh-<run id>-<attempt>), in every upload's
     * annotation: what `recover --run` finds it by when the deploy job was cancelled or failed.
     */
    run?: string,
  ): Promise<string> {
    return new DaggerDeployRunner(this.source, "deploy", checkedRunId(run)).deploy(
      { service, base },
      env,
      { token, accountId: account },
      dryRun,
      {
        strategy,
        steps,
        window,
        maxErrorRate,
        maxLatencyRatio,
        minSample,
        maxWait,
        bake,
        probes,
      },
    );
  }

  /** Roll one service back (to --to, or the version its previous deployment served) and check its health. */
  @func({ cache: "never" })
  async rollback(
    /** A Worker (its folder name). */
    service: string,
    /** The environment to roll back in: one the wrangler configs declare (env.<name>). */
    env: string,
    /** The version id to return to; the previous deployment's when omitted. */
    to?: string,
    /** Cloudflare API token: --token env://CLOUDFLARE_API_TOKEN, or ROLLBACK_TOKEN in .env. */
    token?: Secret,
    /**
     * Cloudflare account id: --account env://CLOUDFLARE_ACCOUNT_ID, or ROLLBACK_ACCOUNT in .env
     * (Dagger matches .env keys to argument names without dropping underscores).
     */
    account?: Secret,
  ): Promise<string> {
    return new DaggerDeployRunner(this.source, "rollback").rollback(service, env, to, {
      token,
      accountId: account,
    });
  }

  /**
   * Put every service a cut-short deploy touched back on its pre-run version, last wave first,
   * health-checked: the deploy whose uploads carry run `run` in their annotations (a cancelled
   * or failed deploy job's, from the recovery job of the same CI run). Nothing to recover says
   * so and succeeds; fails with the report when a service could not be put back.
   */
  @func({ cache: "never" })
  async recover(
    /** The environment to recover: one the wrangler configs declare (env.<name>). */
    env: string,
    /** The run to recover, as its deploy was given it with --run (e.g. gh-<run id>-<attempt>). */
    run: string,
    /** Cloudflare API token: --token env://CLOUDFLARE_API_TOKEN, or RECOVER_TOKEN in .env. */
    token?: Secret,
    /**
     * Cloudflare account id: --account env://CLOUDFLARE_ACCOUNT_ID, or RECOVER_ACCOUNT in .env
     * (Dagger matches .env keys to argument names without dropping underscores).
     */
    account?: Secret,
    /** Show what would be put back and change nothing. */
    dryRun = false,
  ): Promise<string> {
    return daggerRecover(
      this.source,
      env,
      checkedRunId(run) ?? run,
      { token, accountId: account },
      dryRun,
    );
  }

  /** Deploy to staging, validate health and smoke tests, then production; stops at the first failure. */
  @func({ cache: "never" })
  async release(
    /** A Worker (its folder name), a comma-separated list, or "all". */
    service = "all",
    /** Cloudflare API token: --token env://CLOUDFLARE_API_TOKEN, or RELEASE_TOKEN in .env. */
    token?: Secret,
    /**
     * Cloudflare account id: --account env://CLOUDFLARE_ACCOUNT_ID, or RELEASE_ACCOUNT in .env
     * (Dagger matches .env keys to argument names without dropping underscores).
     */
    account?: Secret,
    /**
     * gradual: upload, then move traffic in steps, each below 100% judged on live metrics;
     * immediate: all at once. Default: gradual for production, immediate for staging.
     */
    strategy?: RolloutStrategy,
    /** Gradual: the new version's share at each step, rising, ending at 100 (default 10,50,100). */
    steps?: string,
    /** Gradual: seconds each step below 100% serves before it is judged (default 60). */
    window?: string,
    /** Gradual: a step fails above this error rate of the new version, in percent (default 5). */
    maxErrorRate?: string,
    /**
     * Gradual: a step fails when the new version's p95 is above this multiple of the old
     * version's and above 100 ms (default 2).
     */
    maxLatencyRatio?: string,
    /** Gradual: requests each version needs in a window before it can pass or be compared (default 20). */
    minSample?: string,
    /** Gradual: seconds a step waits past its window for the minimum sample (default 300). */
    maxWait?: string,
    /**
     * Gradual: seconds the new version bakes at 100% against the old version's pre-deploy
     * baseline, rolled back on the same tests; 0 skips (default 900 production, 300 staging).
     */
    bake?: string,
    /** Gradual: probe requests per second to each version, from the smoke tests (default 0). */
    probes?: string,
  ): Promise<string> {
    return new DaggerDeployRunner(this.source, "release").release(
      service,
      { token, accountId: account },
      {
        strategy,
        steps,
        window,
        maxErrorRate,
        maxLatencyRatio,
        minSample,
        maxWait,
        bake,
        probes,
      },
    );
  }

  /**
   * DORA metrics of an environment from its Cloudflare deployment history and git: deployment
   * frequency, lead time for changes, change failure rate and time to restore, each with its
   * DORA band. Reads only; never cached, since the history changes.
   */
  @func({ cache: "never" })
  async dora(
    /** Whose deployments to read: an environment the wrangler configs declare (env.<name>). */
    env: string,
    /** How far back from now: <n>h, <n>d or <n>w. */
    since = "30d",
    /** text for a terminal, markdown for a job summary, json for a program. */
    format: DoraFormat = DoraFormat.Text,
    /** Cloudflare API token: --token env://CLOUDFLARE_API_TOKEN, or DORA_TOKEN in .env. */
    token?: Secret,
    /** Cloudflare account id: --account env://CLOUDFLARE_ACCOUNT_ID, or DORA_ACCOUNT in .env. */
    account?: Secret,
  ): Promise<string> {
    return new DaggerDoraRunner(this.source).dora(env, since, format, {
      token,
      accountId: account,
    });
  }
}

/** A run id reaches every deployment's annotation (100 bytes at most) and wrangler's argv. */
function checkedRunId(run: string | undefined): string | undefined {
  if (run === undefined || run === "") return undefined;
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(run)) {
    throw new Error(
      `--run: "${run}" is not a run id (letters, digits, ".", "_" and "-", up to 40, e.g. gh-9812345678-1)`,
    );
  }
  return run;
}
