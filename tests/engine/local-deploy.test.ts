import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { localCloudStatus, stopLocalCloud } from "@workers/local-cloud";
import { afterEach, describe, expect, it } from "vitest";
import { engineCall, repoCopy } from "../../scripts/engine/engine-run.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serving = async (root: string) =>
  Object.fromEntries(
    (await localCloudStatus(root)).workers.map((worker) => [worker.name, worker.activeVersionId]),
  );

describe("deploy from the engine to this host's local control plane", () => {
  it("deploys every service in waves with wrangler in containers, and rolls back a failing gateway", async () => {
    const repo = await repoCopy();
    cleanups.push(repo.remove, () => stopLocalCloud(repo.root));

    const first = await engineCall(repo.root, ["deploy", "--service", "all", "--env", "local"]);
    expect(first.stderr).not.toMatch(/^Error: /m);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/wave 1\/5: db/);
    const status = await localCloudStatus(repo.root);
    expect(status.workers.map((worker) => worker.name).sort()).toHaveLength(8);
    expect(status.workers.every((worker) => worker.health.ok)).toBe(true);
    const before = await serving(repo.root);

    const app = join(repo.root, "services", "gateway", "src", "app.ts");
    await writeFile(
      app,
      (await readFile(app, "utf8")).replace(
        "return c.json(body, httpStatus);",
        'return c.json({ ...body, status: "broken" }, 503);',
      ),
    );
    const failing = await engineCall(repo.root, ["deploy", "--service", "all", "--env", "local"], {
      PIPELINE_HEALTH_TIMEOUT_MS: "5000",
    });
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toContain("gateway");
    expect(failing.stdout).toContain("rolling back everything this run deployed");
    expect(await serving(repo.root)).toEqual(before);
  });
});
