import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import {
  discoverServices,
  LOCAL_TARGET,
  type ResourceBinding,
  requireServices,
  workerName,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { wranglerConfigReader } from "../../../pipeline/host/wrangler-config-reader.js";
import { repoRoot } from "../../dagger/helpers/repo-steps.js";
import { tempDir } from "../../helpers/fixture-repo.js";
import { FIXTURES } from "../../helpers/paths.js";

/**
 * On the host, discovery reads configs with wrangler's own reader; inside the Dagger module, which
 * cannot run wrangler, with the pipeline's own parser. So every Worker of every fixture, and of
 * this repository, is read both ways and by wrangler directly, and the results compared: the
 * Worker name (inherited as `<name>-<env>`), service bindings and every other binding (none
 * inherited), per environment, and which environments each Worker cannot deploy.
 */
const REPOS = [
  ...["apps-packages", "templates", "no-envs", "workspace", "per-env-names"].map((fixture) =>
    join(FIXTURES, fixture),
  ),
  repoRoot,
];

type Config = ReturnType<typeof unstable_readConfig>;

/** wrangler's bindings as `kind:binding` (consumers: `kind<-queue`), one list per config. */
function wranglerBindings(config: Config): string[] {
  const listed = (kind: string, items: readonly { binding?: string; name?: string }[]) =>
    items.map((item) => `${kind}:${item.binding ?? item.name}`);
  const single = (kind: string, item: { binding: string } | undefined) =>
    item ? [`${kind}:${item.binding}`] : [];
  return [
    ...listed("kv_namespaces", config.kv_namespaces),
    ...listed("r2_buckets", config.r2_buckets),
    ...listed("d1_databases", config.d1_databases),
    ...listed("durable_objects", config.durable_objects.bindings),
    ...listed("queues", config.queues.producers ?? []),
    ...(config.queues.consumers ?? []).map(
      (consumer: { queue: string }) => `queues<-${consumer.queue}`,
    ),
    ...listed("vectorize", config.vectorize),
    ...listed("analytics_engine_datasets", config.analytics_engine_datasets),
    ...listed("hyperdrive", config.hyperdrive),
    ...listed("workflows", config.workflows),
    ...listed(
      "containers",
      (config.containers ?? []).map((container: { class_name: string }) => ({
        binding: container.class_name,
      })),
    ),
    ...listed("dispatch_namespaces", config.dispatch_namespaces),
    ...listed("mtls_certificates", config.mtls_certificates),
    ...listed("secrets_store_secrets", config.secrets_store_secrets),
    ...listed("send_email", config.send_email),
    ...single("ai", config.ai),
    ...single("browser", config.browser),
    ...single("images", config.images),
    ...single("version_metadata", config.version_metadata),
  ].sort();
}

const ours = (resources: readonly ResourceBinding[]) =>
  resources
    .map((r) => (r.binding === undefined ? `${r.kind}<-${r.resource}` : `${r.kind}:${r.binding}`))
    .sort();

describe("discovery reads wrangler configs as wrangler does", () => {
  it.each(REPOS)("every Worker and environment of %s", async (root) => {
    const catalog = await discoverServices(fsRepoReader(root));
    expect(catalog.services.length).toBeGreaterThan(0);
    for (const service of catalog.services) {
      for (const target of service.targets) {
        const config = unstable_readConfig(
          {
            config: join(root, service.wranglerFile),
            ...(target === LOCAL_TARGET ? {} : { env: target }),
          },
          { hideWarnings: true },
        );
        const where = `${service.wranglerFile} (${target})`;
        expect(service.workerNames[target], where).toBe(config.name);
        const boundWorkers = [
          ...requireServices(catalog, service.bindings[target] ?? []).map((bound) =>
            workerName(bound, target),
          ),
          ...(service.externalBindings[target] ?? []),
        ];
        // A binding to the Worker's own entrypoint orders nothing, so discovery leaves it out.
        expect(boundWorkers.sort(), where).toEqual(
          (config.services ?? [])
            .map((binding: { service: string }) => binding.service)
            .filter((bound: string) => bound !== config.name)
            .sort(),
        );
        expect(ours(service.resources[target] ?? []), where).toEqual(wranglerBindings(config));
      }
    }
  });

  it.each(REPOS)("the host's wrangler reader and the module's parser agree on %s", async (root) => {
    const withoutReasons = (catalog: Awaited<ReturnType<typeof discoverServices>>) =>
      catalog.services.map(({ leftOut, ...service }) => ({
        ...service,
        leftOut: Object.keys(leftOut),
      }));
    const own = await discoverServices(fsRepoReader(root));
    const wranglers = await discoverServices(fsRepoReader(root), wranglerConfigReader(root));
    expect(withoutReasons(wranglers)).toEqual(withoutReasons(own));
  });

  it("a config discovery rejects, wrangler rejects too", async () => {
    const dir = await tempDir("wrangler-rejects-");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "wrangler.jsonc");
    await writeFile(file, '{ "name": "hello", "kv_namespaces": [{ "id": "x" }] }');
    expect(() => unstable_readConfig({ config: file }, { hideWarnings: true })).toThrow(
      /kv_namespaces\[0\].*"binding"/,
    );
  });
});
