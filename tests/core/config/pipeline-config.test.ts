import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  affectedCiSteps,
  affectedFromChanges,
  buildCiSteps,
  discoverServices,
  PIPELINE_CONFIG_FILE,
  ServiceConfigError,
} from "#core";
import {
  CONFIG_JSON_SCHEMA_FILE,
  configJsonSchema,
} from "../../../pipeline/host/config-json-schema.js";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { tempDir } from "../../helpers/fixture-repo.js";
import { FIXTURES, REPO_ROOT } from "../../helpers/paths.js";

/** The apps/* + packages/* fixture with `config` as its workers-pipeline.config.json. */
async function discoverWith(config: unknown) {
  const root = await tempDir("pipeline-config-");
  await cp(join(FIXTURES, "apps-packages"), root, { recursive: true });
  await writeFile(
    join(root, PIPELINE_CONFIG_FILE),
    typeof config === "string" ? config : JSON.stringify(config),
  );
  return discoverServices(fsRepoReader(root));
}

describe("workers-pipeline.config.json", () => {
  it("is optional: without it every default applies", async () => {
    const catalog = await discoverServices(fsRepoReader(join(FIXTURES, "apps-packages")));
    expect(catalog.settings).toEqual({
      coverageThreshold: 80,
      globalFiles: [],
      rolloutStrategy: undefined,
      unfinishedRun: "recover",
      rootTests: [],
      rootTestInputs: [],
    });
    expect(catalog.services.map((service) => service.healthPath)).toEqual(["/health", "/health"]);
  });

  it("chooses the Workers, the global files, the threshold, health paths, smoke tests and the rollout", async () => {
    const catalog = await discoverWith({
      $schema: "./node_modules/workers-pipeline/docs/config.schema.json",
      workers: ["apps/api"],
      globalFiles: ["infra/**"],
      thresholds: { coverage: 90 },
      healthPath: "/healthz",
      rollout: { strategy: "gradual", unfinishedRun: "refuse" },
      services: { api: { healthPath: "/api/health", smokeTests: "checks/api-smoke.json" } },
    });
    // auth has a wrangler config but is not under `workers`: a library now.
    expect(catalog.services.map((service) => service.name)).toEqual(["api"]);
    expect(catalog.libraries.map((library) => library.dir)).toContain("apps/auth");
    expect(catalog.services[0]).toMatchObject({
      healthPath: "/api/health",
      smokeTestFile: "checks/api-smoke.json",
    });
    expect(catalog.settings).toEqual({
      coverageThreshold: 90,
      globalFiles: ["infra/**"],
      rolloutStrategy: "gradual",
      unfinishedRun: "refuse",
      rootTests: [],
      rootTestInputs: [],
    });
    const gate = buildCiSteps(catalog).find((step) => step.id === "coverage");
    expect(gate?.coverageThreshold).toBe(90);
    const affected = affectedFromChanges(catalog, "main", ["infra/dns/zone.tf"], []);
    expect(affected.scope).toBe("all");
    expect(affected.services[0]?.reason).toBe("global file infra/dns/zone.tf changed");
  });

  it("runs only the root tests when a file they cover changed; another file outside the packages selects everything", async () => {
    const catalog = await discoverWith({
      rootTests: { inputs: ["tools/**"], steps: [{ name: "tools", script: "test:tools" }] },
    });
    const tools = affectedFromChanges(catalog, "main", ["tools/x.ts"], []);
    expect(tools).toMatchObject({ scope: "some", services: [], tooling: "changed: tools/x.ts" });
    expect(affectedCiSteps(catalog, tools).map((step) => step.command?.join(" "))).toEqual([
      "pnpm install --frozen-lockfile",
      "pnpm run test:tools",
    ]);
    expect(affectedFromChanges(catalog, "main", ["other/x.ts"], []).scope).toBe("all");
  });

  it("applies the repository-wide health path to Workers without their own", async () => {
    const catalog = await discoverWith({ healthPath: "/healthz" });
    expect(catalog.services.map((service) => service.healthPath)).toEqual(["/healthz", "/healthz"]);
  });

  it("takes the health contract of the repository, and of one Worker over it", async () => {
    const defaults = await discoverWith({});
    expect(defaults.services.map((service) => service.healthContract)).toEqual([
      "version",
      "version",
    ]);
    const catalog = await discoverWith({
      healthContract: "status",
      services: { api: { healthContract: "version" } },
    });
    expect(catalog.services.map((service) => `${service.name}: ${service.healthContract}`)).toEqual(
      ["api: version", "auth: status"],
    );
  });

  const broken: [string, unknown, string][] = [
    [
      "an unknown health contract",
      { healthContract: "2xx" },
      'healthContract: Invalid option: expected one of "version"|"status"',
    ],
    [
      "a threshold above 100",
      { thresholds: { coverage: 120 } },
      "thresholds.coverage: expected a percentage from 0 to 100",
    ],
    ["a misspelt key", { thresold: { coverage: 90 } }, "thresold: unknown key (misspelt?)"],
    [
      "a misspelt nested key",
      { services: { api: { health: "/h" } } },
      "services.api.health: unknown key (misspelt?)",
    ],
    [
      "settings for a Worker that does not exist",
      { services: { nope: { healthPath: "/h" } } },
      "services.nope: expected the name of a Worker (api, auth)",
    ],
    [
      "a health path without its slash",
      { healthPath: "health" },
      "healthPath: expected a path starting with /, e.g. /health",
    ],
    [
      "an unknown rollout strategy",
      { rollout: { strategy: "canary" } },
      'rollout.strategy: Invalid option: expected one of "gradual"|"immediate"',
    ],
    ["invalid JSON", "{ workers: ", "line 1 column 3: invalid JSON (InvalidSymbol)"],
    [
      "an integration package that is not in the workspace",
      { integrationTests: { package: "@acme/e2e" } },
      'integrationTests.package: expected the package.json name of a workspace package (@acme/api, @acme/auth, @acme/db-client, @acme/shared, @acme/web), got "@acme/e2e"',
    ],
    [
      "a root test without a script",
      { rootTests: { steps: [{ name: "tools" }] } },
      "rootTests.steps[0].script: Invalid input: expected string, received undefined",
    ],
  ];

  it.each(broken)(
    "fails on %s, naming the file, the field and what was expected",
    async (_, config, message) => {
      const error = await discoverWith(config).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServiceConfigError);
      expect((error as Error).message).toBe(`${PIPELINE_CONFIG_FILE}: ${message}`);
    },
  );

  it("has a JSON schema, generated from the zod schema, that is up to date", async () => {
    const committed = JSON.parse(await readFile(join(REPO_ROOT, CONFIG_JSON_SCHEMA_FILE), "utf8"));
    expect(
      committed,
      `${CONFIG_JSON_SCHEMA_FILE} is stale: run pnpm exec tsx scripts/write-config-schema.ts`,
    ).toEqual(JSON.parse(configJsonSchema()));
  });
});
