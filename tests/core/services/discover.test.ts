import { describe, expect, it } from "vitest";
import {
  deployWaves,
  discoverServices,
  GraphCycleError,
  LOCAL_TARGET,
  leftOutReason,
  ServiceConfigError,
  serviceGraph,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { fixtureWith } from "../../helpers/fixture-repo.js";

/** A copy of the fixture workspace with some files replaced. */
const workspaceWith = (files: Record<string, string | null>) => fixtureWith("workspace", files);

const discover = async (root: string) => discoverServices(fsRepoReader(root));

function wrangler(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name,
    env: { staging: { name: `${name}-staging` }, production: { name: `${name}-production` } },
    ...extra,
  });
}

describe("service discovery", () => {
  it("reads names, packages, workers, bindings, workspace deps and smoke tests", async () => {
    const catalog = await discover(await workspaceWith({}));
    expect(catalog.services.map((service) => service.name)).toEqual([
      "auth",
      "db",
      "email",
      "gateway",
    ]);
    const gateway = catalog.services.find((service) => service.name === "gateway");
    expect(gateway).toEqual({
      name: "gateway",
      dir: "services/gateway",
      packageName: "@workers/gateway",
      wranglerFile: "services/gateway/wrangler.jsonc",
      workspaceDependencies: ["auth"],
      targets: ["@local", "staging", "production"],
      leftOut: {},
      workerNames: {
        "@local": "gateway",
        staging: "gateway-staging",
        production: "gateway-production",
      },
      bindings: {
        "@local": ["auth", "email"],
        staging: ["auth", "email"],
        production: ["auth", "email"],
      },
      externalBindings: { "@local": [], staging: [], production: [] },
      resources: { "@local": [], staging: [], production: [] },
      healthPath: "/health",
      healthContract: "version",
      scripts: { typecheck: "tsgo -p tsconfig.json", test: "vitest run --coverage" },
      hasTsconfig: false,
      smokeTestFile: "services/gateway/smoke.json",
    });
    expect(
      catalog.services.find((service) => service.name === "db")?.smokeTestFile,
    ).toBeUndefined();
  });

  it("lists a workspace package without a wrangler config as a library", async () => {
    const root = await workspaceWith({ "services/auth/wrangler.jsonc": null });
    const catalog = await discover(root);
    expect(catalog.services.map((service) => service.name)).not.toContain("auth");
    expect(catalog.libraries.map((library) => library.dir)).toEqual([
      "services/auth",
      "tests/integration",
    ]);
  });

  it("ignores a folder under services/ without a package.json, as pnpm does", async () => {
    const root = await workspaceWith({ "services/scratch/notes.txt": "not a package" });
    expect((await discover(root)).services.map((service) => service.name)).not.toContain("scratch");
  });

  it("keeps bindings to Workers outside the repository apart from the graph", async () => {
    const root = await workspaceWith({
      "services/db/wrangler.jsonc": wrangler("db", {
        services: [{ binding: "LOG", service: "logger" }],
      }),
    });
    const db = (await discover(root)).services.find((service) => service.name === "db");
    expect(db?.bindings[LOCAL_TARGET]).toEqual([]);
    expect(db?.externalBindings[LOCAL_TARGET]).toEqual(["logger"]);
  });

  const leftOut: [string, Record<string, string | null>, string, string, string][] = [
    [
      "invalid JSONC leaves the Worker out everywhere",
      { "services/auth/wrangler.jsonc": '{\n  "name": "auth",\n  "env": {\n}' },
      "auth",
      "staging",
      "services/auth/wrangler.jsonc: line 4 column 2: invalid JSON (CloseBraceExpected)",
    ],
    [
      "a Worker name of the wrong type leaves that environment out",
      {
        "services/db/wrangler.jsonc": JSON.stringify({
          name: "db",
          env: { staging: { name: 42 }, production: { name: "db-production" } },
        }),
      },
      "db",
      "staging",
      "services/db/wrangler.jsonc: env.staging.name: Invalid input: expected string, received number",
    ],
    [
      "the same Worker name in two environments leaves the later one out",
      {
        "services/db/wrangler.jsonc": JSON.stringify({
          name: "db",
          env: { staging: { name: "db" }, production: { name: "db-production" } },
        }),
      },
      "db",
      "staging",
      'services/db/wrangler.jsonc: env.staging.name: "db" is also the @local Worker; expected distinct Worker names per environment',
    ],
    [
      "no top-level name leaves the top level out, and environments without a name of their own",
      {
        "services/db/wrangler.jsonc": JSON.stringify({
          env: { staging: { name: "db-staging" }, production: {} },
        }),
      },
      "db",
      "production",
      'services/db/wrangler.jsonc: no "name" in env.production nor at the top level, which wrangler needs to deploy env.production',
    ],
  ];

  it.each(leftOut)("%s, in one line naming the file", async (_, files, name, target, reason) => {
    const catalog = await discover(await workspaceWith(files));
    const service = catalog.services.find((candidate) => candidate.name === name);
    if (service === undefined) throw new Error(`no service ${name}`);
    expect(service.targets).not.toContain(target);
    expect(leftOutReason(service, target)).toBe(reason);
    // The other Workers keep every environment.
    expect(catalog.services.filter((other) => other.targets.includes(target)).length).toBe(
      catalog.services.length - 1,
    );
  });

  const broken: [string, Record<string, string | null>, string][] = [
    [
      "a staging binding to a production Worker",
      {
        "services/email/wrangler.jsonc": wrangler("email", {
          env: {
            staging: {
              name: "email-staging",
              services: [{ binding: "DB", service: "db-production" }],
            },
            production: { name: "email-production" },
          },
        }),
      },
      'services/email/wrangler.jsonc: env.staging.services[0].service: "db-production" is not a staging Worker; expected "db-staging" (the staging Worker of db)',
    ],
  ];

  it.each(broken)(
    "fails on %s, naming the file, the field and what was expected",
    async (_, files, message) => {
      const root = await workspaceWith(files);
      const error = await discover(root).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServiceConfigError);
      expect((error as Error).message).toBe(message);
    },
  );
});

describe("service graph and deploy waves", () => {
  it("combines workspace dependencies and bindings into edges", async () => {
    const catalog = await discover(await workspaceWith({}));
    const graph = serviceGraph(catalog, "staging");
    expect(graph.dependencies).toEqual({
      auth: ["db"],
      db: [],
      email: ["db"],
      gateway: ["auth", "email"],
    });
    expect(graph.edges.find((edge) => edge.from === "auth")?.kinds).toEqual([
      "workspace",
      "binding",
    ]);
  });

  it("layers services from db to gateway, also for a subset", async () => {
    const catalog = await discover(await workspaceWith({}));
    expect(deployWaves(catalog, "production")).toEqual([["db"], ["auth", "email"], ["gateway"]]);
    expect(deployWaves(catalog, "production", ["gateway", "db"])).toEqual([["db"], ["gateway"]]);
  });

  it("names the cycle when bindings form one", async () => {
    const root = await workspaceWith({
      "services/db/wrangler.jsonc": wrangler("db", {
        env: {
          staging: {
            name: "db-staging",
            services: [{ binding: "GATEWAY", service: "gateway-staging" }],
          },
          production: { name: "db-production" },
        },
      }),
    });
    const catalog = await discover(root);
    expect(deployWaves(catalog, "production")).toHaveLength(3);
    expect(() => deployWaves(catalog, "staging")).toThrow(GraphCycleError);
    expect(() => deployWaves(catalog, "staging")).toThrow(
      "the staging service graph has a cycle: auth -> db -> gateway -> auth",
    );
  });
});
