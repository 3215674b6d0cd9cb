/**
 * CI/CD for the Workers monorepo: the same step graph as `pnpm pipeline`, run in containers.
 *
 * `dagger call ci` runs install, typecheck, lint, every service's unit tests in parallel, the
 * tooling and integration suites and the 80% coverage gate; `dagger check` runs each part.
 */
import { argument, type Container, check, type Directory, func, object } from "@dagger.io/dagger";
import { DeployEnvironment } from "./deploy-environment.js";
import { ModulePipeline } from "./runner/module-pipeline.js";

@object()
export class Workers {
  source: Directory;

  constructor(
    /** The repository; `.git` is kept for `--base`, local build output and secrets are not. */
    @argument({
      defaultPath: "/",
      ignore: [
        "**/node_modules",
        "**/coverage",
        "**/.wrangler",
        "**/dist",
        "**/.turbo",
        "**/*.log",
        "**/.env",
        "**/.dev.vars",
        ".dagger-local",
        ".pipeline",
        "dagger/sdk",
      ],
    })
    source: Directory,
  ) {
    this.source = source;
  }

  /** Typecheck every package (tsc); returns the container after the step. */
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
    /** A service under services/, e.g. gateway; all of them when omitted. */
    service?: string,
  ): Promise<Container> {
    return new ModulePipeline(this.source).test(service);
  }

  /** Integration tests: every worker together in workerd; returns the container after the step. */
  @func()
  @check()
  async integration(): Promise<Container> {
    return new ModulePipeline(this.source).part("integration");
  }

  /** Every service's unit tests and the 80% coverage gate; returns the workspace with reports. */
  @func()
  @check()
  async coverage(): Promise<Container> {
    return new ModulePipeline(this.source).coverage();
  }

  /**
   * The whole graph, as `pnpm pipeline ci`: returns its summary table and fails naming each
   * failed step with the tail of its log.
   */
  @func()
  async ci(
    /** Test only what changed since this git ref (e.g. origin/main) and what depends on it. */
    base?: string,
  ): Promise<string> {
    return new ModulePipeline(this.source).ci(base);
  }

  /** The services affected since a git ref, each with a one-line reason. */
  @func()
  async affected(
    /** The git ref to compare with, e.g. origin/main or HEAD~1. */
    base: string,
  ): Promise<string> {
    return new ModulePipeline(this.source).affected(base);
  }

  /** The service graph and its deploy waves (db first, gateway last). */
  @func()
  async graph(
    /** Whose bindings to follow. */
    env: DeployEnvironment = DeployEnvironment.Production,
  ): Promise<string> {
    return new ModulePipeline(this.source).graph(env);
  }
}
