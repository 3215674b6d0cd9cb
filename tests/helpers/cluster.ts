import type { LocalCloudHandle } from "@workers/local-cloud";

export type Versions = Record<string, string | undefined>;

/** The version each Worker of the control plane serves. */
export async function servingVersions(cloud: LocalCloudHandle): Promise<Versions> {
  const workers = await cloud.workers();
  return Object.fromEntries(workers.map((worker) => [worker.name, worker.activeVersionId]));
}

/** How many versions each Worker has: a deploy that changed nothing leaves these alone. */
export async function versionCounts(cloud: LocalCloudHandle): Promise<Record<string, number>> {
  const workers = await cloud.workers();
  return Object.fromEntries(workers.map((worker) => [worker.name, worker.versions]));
}

/**
 * Test clean-up: puts each Worker of `versions` back on its version straight through the API
 * (what `wrangler rollback` asks for), so a test that failed half-way leaves the shared cluster
 * as the next test expects it. Does nothing where the version already serves.
 */
export async function restoreServing(cloud: LocalCloudHandle, versions: Versions): Promise<void> {
  const now = await servingVersions(cloud);
  await Promise.all(
    Object.entries(versions)
      .filter(([name, version]) => version !== undefined && now[name] !== version)
      .map(async ([name, version]) => {
        const response = await fetch(
          `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/scripts/${name}/deployments`,
          {
            method: "POST",
            headers: {
              authorization: `Bearer ${cloud.wranglerEnv.CLOUDFLARE_API_TOKEN}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({ versions: [{ version_id: version, percentage: 100 }] }),
          },
        );
        if (!response.ok) throw new Error(`restoring ${name} to ${version}: ${response.status}`);
      }),
  );
}
