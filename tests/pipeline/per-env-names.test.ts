import { describe, expect, it } from "vitest";
import { commitFiles, fixtureRepo } from "../helpers/fixture-repo.js";
import { runPipeline } from "../helpers/in-process-cli.js";

/**
 * Shapes public monorepos have that once stopped `graph` for the whole repository: Workers named
 * only in `env.staging` and `env.production`, an environment called `local`, a Worker used only by
 * tests with no name at all, and a Pages project beside the Workers.
 */
const cli = (args: string[], cwd: string) => runPipeline(args, { cwd, env: {} });

describe("a repository whose Workers are named per environment", () => {
  it("graph for staging orders the Workers named there and lists the others as left out", async () => {
    const repo = await fixtureRepo("per-env-names");
    const result = await cli(["graph", "--env", "staging"], repo);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("  api -> auth (binding)");
    expect(result.stdout).toContain(
      "  test-worker: packages/test-worker/wrangler.jsonc: declares no env.staging, so wrangler cannot deploy it there",
    );
    expect(result.stdout).toContain(
      "  web: apps/web/wrangler.toml: a Pages project (pages_build_output_dir), which wrangler pages deploy deploys, not wrangler deploy",
    );
    expect(result.stdout).toMatch(/deploy waves:\n {2}1\. auth, site\n {2}2\. api$/);
  });

  it("deploy --service all leaves out, one line each, the Workers without a name there", async () => {
    const repo = await fixtureRepo("per-env-names");
    const result = await cli(["deploy", "--env", "@local", "--service", "all", "--dry-run"], repo);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n")).toEqual([
      'api: left out of @local: apps/api/wrangler.jsonc: no top-level "name", which wrangler needs to deploy the top level',
      'auth: left out of @local: apps/auth/wrangler.toml: no top-level "name", which wrangler needs to deploy the top level',
      'test-worker: left out of @local: packages/test-worker/wrangler.jsonc: no top-level "name", which wrangler needs to deploy the top level',
      "web: left out of @local: apps/web/wrangler.toml: a Pages project (pages_build_output_dir), which wrangler pages deploy deploys, not wrangler deploy",
    ]);
    expect(result.stdout).toContain("wave 1: site → shop-site (0 smoke tests)");
  });

  it("an environment named local is the repository's own, and @local the local control plane", async () => {
    const repo = await fixtureRepo("per-env-names");
    const local = await cli(["deploy", "--env", "local", "--service", "site", "--dry-run"], repo);
    expect(local.exitCode).toBe(0);
    expect(local.stdout).toContain("deploy plan for local");
    expect(local.stdout).toContain("site → shop-site-local");
    const selector = await cli(
      ["deploy", "--env", "@local", "--service", "site", "--dry-run"],
      repo,
    );
    expect(selector.stdout).toContain("site → shop-site (0 smoke tests)");
  });

  it("a Worker named with --service that cannot deploy there fails in one line naming its file", async () => {
    const repo = await fixtureRepo("per-env-names");
    const result = await cli(["deploy", "--env", "@local", "--service", "api", "--dry-run"], repo);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'pipeline deploy: api cannot deploy @local (apps/api/wrangler.jsonc: no top-level "name", which wrangler needs to deploy the top level); fix its config or deploy other services',
    );
  });

  it("a key wrangler rejects in one environment leaves only that one out, in wrangler's words", async () => {
    const repo = await fixtureRepo("per-env-names");
    await commitFiles(repo, {
      "apps/site/wrangler.json": JSON.stringify({
        name: "shop-site",
        main: "src/index.ts",
        env: { staging: { kv_namespaces: [{ id: "site-staging" }] }, production: {} },
      }),
    });
    const staging = await cli(
      ["deploy", "--env", "staging", "--service", "all", "--dry-run"],
      repo,
    );
    expect(staging.stderr.split("\n")).toContain(
      'site: left out of staging: apps/site/wrangler.json: "env.staging" environment configuration: "env.staging.kv_namespaces[0]" bindings should have a string "binding" field but got {"id":"site-staging"}.',
    );
    expect(staging.stdout).toContain("api → shop-api-staging");
    const production = await cli(
      ["deploy", "--env", "production", "--service", "site", "--dry-run"],
      repo,
    );
    expect(production.stdout).toContain("site → shop-site-production");
  });

  it("affected reads the same repository without stopping", async () => {
    const repo = await fixtureRepo("per-env-names");
    const result = await cli(["affected", "--base", "HEAD"], repo);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
