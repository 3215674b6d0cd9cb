import { describe, expect, it } from "vitest";
import {
  buildDeployPlan,
  deployTargets,
  deployWaves,
  detectAffected,
  discoverServices,
  GraphCycleError,
  LOCAL_TARGET,
  leftOutReason,
  renderGraph,
  type ServiceCatalog,
  ServiceConfigError,
  serviceGraph,
  UndeclaredTargetError,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../../pipeline/host/git-change-probe.js";
import { commitFiles, fixtureRepo, fixtureWith } from "../../helpers/fixture-repo.js";

const discover = async (fixture: string, files: Record<string, string | null> = {}) =>
  discoverServices(fsRepoReader(await fixtureWith(fixture, files)));

const service = (catalog: ServiceCatalog, name: string) => {
  const found = catalog.services.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

describe("discovery on apps/* + packages/* with wrangler.toml and turbo.json", () => {
  it("finds the Workers by their wrangler config and lists every other package as a library", async () => {
    const catalog = await discover("apps-packages");
    expect(catalog.services.map((s) => [s.name, s.dir, s.packageName, s.wranglerFile])).toEqual([
      ["api", "apps/api", "@acme/api", "apps/api/wrangler.toml"],
      ["auth", "apps/auth", "@acme/auth", "apps/auth/wrangler.toml"],
    ]);
    expect(catalog.libraries).toEqual([
      {
        name: "@acme/db-client",
        dir: "packages/db-client",
        packageName: "@acme/db-client",
        workspaceDependencies: ["@acme/shared"],
        scripts: {},
        hasTsconfig: false,
      },
      {
        name: "@acme/shared",
        dir: "packages/shared",
        packageName: "@acme/shared",
        workspaceDependencies: [],
        scripts: { test: "vitest run --coverage" },
        hasTsconfig: false,
      },
      {
        name: "@acme/web",
        dir: "apps/web",
        packageName: "@acme/web",
        workspaceDependencies: ["@acme/shared"],
        scripts: {},
        hasTsconfig: false,
      },
    ]);
    expect(service(catalog, "api").workspaceDependencies).toEqual(["@acme/db-client"]);
  });

  it("applies wrangler's inheritance: names default to <name>-<env>, bindings are not inherited", async () => {
    const catalog = await discover("apps-packages");
    const api = service(catalog, "api");
    expect(api.workerNames).toEqual({
      "@local": "acme-api",
      staging: "acme-api-staging",
      production: "acme-api-prod",
    });
    expect(api.bindings).toEqual({ "@local": ["auth"], staging: ["auth"], production: ["auth"] });
    // `ai` is declared at the top level only, so no environment has it.
    expect(api.resources[LOCAL_TARGET]?.map((r) => r.kind)).toEqual([
      "kv_namespaces",
      "d1_databases",
      "ai",
    ]);
    expect(api.resources.staging).toEqual([
      { kind: "kv_namespaces", binding: "CACHE", resource: "cache-staging" },
      { kind: "d1_databases", binding: "DB", resource: "acme-staging" },
    ]);
    const auth = service(catalog, "auth");
    // env.staging is empty: no Durable Object binding there, unlike the top level and production.
    expect(auth.resources.staging).toEqual([]);
    expect(auth.resources.production).toEqual([
      { kind: "durable_objects", binding: "SESSIONS", resource: "SessionStore" },
    ]);
  });

  it("orders the waves by bindings and lists libraries and bindings in graph", async () => {
    const catalog = await discover("apps-packages");
    expect(deployWaves(catalog, "production")).toEqual([["auth"], ["api"]]);
    const text = renderGraph(
      serviceGraph(catalog, "production"),
      deployWaves(catalog, "production"),
    );
    expect(text).toContain("  api -> auth (binding)");
    expect(text).toContain(
      "    bindings: CACHE (kv_namespaces: cache-prod), UPLOADS (r2_buckets: acme-uploads), DB (d1_databases: acme-prod)",
    );
    expect(text).toContain("  @acme/shared (packages/shared) <- api, auth");
    expect(text).toContain("  @acme/web (apps/web) <- (no service)");
  });
});

describe("discovery on many *-template Workers with mixed config formats", () => {
  it("reads all three formats and honours a negated workspace glob", async () => {
    const catalog = await discover("templates");
    expect(catalog.services.map((s) => s.wranglerFile)).toEqual([
      "ai-template/wrangler.toml",
      "durable-template/wrangler.json",
      "hello-template/wrangler.jsonc",
      "queues-template/wrangler.toml",
      "router-template/wrangler.jsonc",
    ]);
    expect(catalog.libraries).toEqual([]);
    expect(deployTargets(catalog)).toEqual(["@local", "staging", "production"]);
  });

  it("lists a binding to a Worker outside the repository as external, outside the waves", async () => {
    const catalog = await discover("templates");
    const router = service(catalog, "router-template");
    expect(router.bindings.production).toEqual(["ai-template", "hello-template"]);
    expect(router.externalBindings.production).toEqual(["central-logs"]);
    expect(deployWaves(catalog, "production")).toEqual([
      ["ai-template", "durable-template", "hello-template", "queues-template"],
      ["router-template"],
    ]);
    const graph = serviceGraph(catalog, "staging");
    expect(graph.external).toEqual({ "router-template": ["central-logs"] });
    expect(renderGraph(graph, [])).toContain(
      "  router-template -> ai-template (binding), hello-template (binding), central-logs (external)",
    );
  });

  it("ignores a binding to the Worker's own entrypoint: it orders nothing and is no cycle", async () => {
    const catalog = await discover("templates");
    const durable = service(catalog, "durable-template");
    expect([durable.bindings[LOCAL_TARGET], durable.externalBindings[LOCAL_TARGET]]).toEqual([
      [],
      [],
    ]);
    expect(deployWaves(catalog, LOCAL_TARGET)[0]).toContain("durable-template");
  });

  it("reads queues, Durable Objects, AI, Vectorize and Analytics Engine bindings", async () => {
    const catalog = await discover("templates");
    expect(service(catalog, "queues-template").resources.production).toEqual([
      { kind: "queues", binding: "JOBS", resource: "jobs-prod" },
      { kind: "queues", resource: "jobs-prod" },
    ]);
    expect(service(catalog, "ai-template").resources.production).toEqual([
      { kind: "vectorize", binding: "INDEX", resource: "embeddings-prod" },
      { kind: "analytics_engine_datasets", binding: "EVENTS", resource: "ai_events_prod" },
      { kind: "ai", binding: "AI" },
    ]);
    expect(service(catalog, "ai-template").resources.staging).toEqual([
      { kind: "ai", binding: "AI" },
    ]);
  });
});

describe("discovery on a repository without environments", () => {
  it("has only the top level, from package.json workspaces", async () => {
    const catalog = await discover("no-envs");
    expect(catalog.services.map((s) => [s.name, s.targets])).toEqual([
      ["ping", ["@local"]],
      ["pong", ["@local"]],
    ]);
    expect(catalog.libraries.map((library) => library.name)).toEqual(["tiny-lib"]);
    expect(deployTargets(catalog)).toEqual(["@local"]);
    expect(deployWaves(catalog, LOCAL_TARGET)).toEqual([["pong"], ["ping"]]);
  });
});

describe("Workers nested in one package", () => {
  it("are found where the workers globs name their folders, and change with their package", async () => {
    const nested = (name: string, bound?: string) =>
      JSON.stringify({
        name,
        main: "index.js",
        ...(bound ? { services: [{ binding: "NEXT", service: bound }] } : {}),
      });
    const catalog = await discover("no-envs", {
      "workers-pipeline.config.json": JSON.stringify({ workers: ["workers/*", "lib/services/*"] }),
      "lib/services/front/wrangler.toml":
        'name = "front"\nmain = "index.js"\n[[services]]\nbinding = "BACK"\nservice = "back"\n',
      "lib/services/back/wrangler.jsonc": nested("back"),
      // Not named by the globs: a test fixture stays a folder of the library.
      "lib/src/tests/wrangler.jsonc": nested("fixture"),
    });
    expect(
      catalog.services.map((s) => [s.name, s.dir, s.packageName, s.workspaceDependencies]),
    ).toEqual([
      ["back", "lib/services/back", "tiny-lib", ["tiny-lib"]],
      ["front", "lib/services/front", "tiny-lib", ["tiny-lib"]],
      ["ping", "workers/ping", "ping", ["tiny-lib"]],
      ["pong", "workers/pong", "pong", []],
    ]);
    expect(deployWaves(catalog, LOCAL_TARGET)).toEqual([
      ["back", "pong"],
      ["front", "ping"],
    ]);
  });
});

describe("bad input gets one clear line", () => {
  const fails = async (promise: Promise<unknown>) => {
    const error = await promise.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return { error, message };
  };

  it("a package with two wrangler configs names both files", async () => {
    const { error, message } = await fails(
      discover("templates", { "hello-template/wrangler.toml": 'name = "hello"\n' }),
    );
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(message).toBe(
      "hello-template: two wrangler configs, hello-template/wrangler.jsonc and hello-template/wrangler.toml; keep one",
    );
  });

  it("two Workers in folders of the same name are named by their paths instead", async () => {
    const catalog = await discover("apps-packages", {
      "packages/api/package.json": JSON.stringify({
        name: "@acme/api-v2",
        scripts: { test: "vitest run" },
      }),
      "packages/api/wrangler.jsonc": '{ "name": "acme-api-v2" }',
    });
    expect(catalog.services.map((s) => [s.name, s.dir])).toEqual([
      ["apps-api", "apps/api"],
      ["auth", "apps/auth"],
      ["packages-api", "packages/api"],
    ]);
  });

  it("a config wrangler itself rejects leaves that Worker out, naming the file and the field", async () => {
    const catalog = await discover("templates", {
      "hello-template/wrangler.jsonc": '{ "name": "hello", "kv_namespaces": [{ "id": "x" }] }',
    });
    expect(leftOutReason(service(catalog, "hello-template"), LOCAL_TARGET)).toBe(
      "hello-template/wrangler.jsonc: kv_namespaces[0].binding: Invalid input: expected string, received undefined",
    );
    expect(service(catalog, "router-template").targets).toContain(LOCAL_TARGET);
  });

  it("a TOML syntax error leaves that Worker out, naming the file and the position", async () => {
    const catalog = await discover("apps-packages", {
      "apps/auth/wrangler.toml": 'name = "acme-auth"\nmain = \n',
    });
    const auth = service(catalog, "auth");
    expect(auth.targets).toEqual([]);
    expect(leftOutReason(auth, "staging")).toMatch(
      /^apps\/auth\/wrangler\.toml: line 2 column \d+: invalid TOML \(.+\)$/,
    );
  });

  it("an environment only some Workers declare fails a deploy, naming the Workers that lack it", async () => {
    const root = await fixtureWith("templates", {
      "hello-template/wrangler.jsonc": JSON.stringify({
        name: "hello",
        main: "src/index.ts",
        env: { staging: {}, production: { name: "hello-prod" }, canary: {} },
      }),
    });
    const reader = fsRepoReader(root);
    const catalog = await discoverServices(reader);
    expect(deployTargets(catalog)).toEqual(["@local", "staging", "production", "canary"]);
    const { error, message } = await fails(
      buildDeployPlan(
        reader,
        catalog,
        "canary",
        ["hello-template", "router-template", "ai-template"],
        "test",
      ),
    );
    expect(error).toBeInstanceOf(UndeclaredTargetError);
    expect(message).toBe(
      "router-template cannot deploy canary (router-template/wrangler.jsonc: declares no env.canary, so wrangler cannot deploy it there); ai-template cannot deploy canary (ai-template/wrangler.toml: declares no env.canary, so wrangler cannot deploy it there); fix its config or deploy other services",
    );
    // The Worker that declares it deploys on its own.
    const plan = await buildDeployPlan(reader, catalog, "canary", ["hello-template"], "test");
    expect(plan.waves.map((wave) => wave.map((s) => s.name))).toEqual([["hello-template"]]);
  });

  it("a service-binding cycle names the cycle", async () => {
    const catalog = await discover("no-envs", {
      "workers/pong/wrangler.toml":
        'name = "pong"\nmain = "src/index.ts"\nservices = [{ binding = "PING", service = "ping" }]\n',
    });
    const { error, message } = await fails((async () => deployWaves(catalog, LOCAL_TARGET))());
    expect(error).toBeInstanceOf(GraphCycleError);
    expect(message).toBe("the @local service graph has a cycle: ping -> pong -> ping");
  });
});

describe("affected detection across libraries, in real git repositories", () => {
  async function affectedAfter(fixture: string, files: Record<string, string>) {
    const repo = await fixtureRepo(fixture);
    await commitFiles(repo, files);
    const catalog = await discoverServices(fsRepoReader(repo));
    return detectAffected(catalog, gitChangeProbe(repo), "HEAD~1");
  }

  it("a shared library selects exactly the Workers that depend on it, also through another library", async () => {
    const result = await affectedAfter("apps-packages", {
      "packages/shared/src/index.ts": "export const name = 'changed';\n",
    });
    expect(result.scope).toBe("some");
    // api is reached twice (through @acme/db-client, and by binding to auth): either reason is true.
    expect(result.services.map((s) => s.name)).toEqual(["api", "auth"]);
    expect(result.services[1]).toEqual({ name: "auth", reason: "depends on @acme/shared" });
    const client = await affectedAfter("apps-packages", {
      "packages/db-client/src/index.ts": "export const name = 'changed';\n",
    });
    expect(client.services).toEqual([{ name: "api", reason: "depends on @acme/db-client" }]);
  });

  it("a library only one Worker uses selects that Worker and what binds to it", async () => {
    const result = await affectedAfter("no-envs", { "lib/src/index.ts": "export {};\n" });
    expect(result.services).toEqual([{ name: "ping", reason: "depends on tiny-lib" }]);
    const bound = await affectedAfter("no-envs", { "workers/pong/src/index.ts": "export {};\n" });
    expect(bound.services).toEqual([
      { name: "ping", reason: "binds to pong" },
      { name: "pong", reason: "changed: workers/pong/src/index.ts" },
    ]);
  });

  it("a library no Worker uses selects no Worker, and turbo.json selects them all", async () => {
    const unused = await affectedAfter("apps-packages", {
      "apps/web/src/index.ts": "export {};\n",
    });
    expect(unused.services).toEqual([]);
    const turbo = await affectedAfter("apps-packages", { "turbo.json": "{}\n" });
    expect(turbo.scope).toBe("all");
    expect(turbo.services.map((s) => s.name)).toEqual(["api", "auth"]);
  });
});
