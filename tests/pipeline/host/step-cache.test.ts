import { cp, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authSteps, repoCache, runOnHost, statusOf, stepRepo } from "../../helpers/step-repo.js";

const entriesOf = async (repo: string) =>
  (await readdir(join(repo, ".pipeline/cache/entries"))).filter((name) => name.endsWith(".json"));

describe("the step cache", () => {
  it("replays a passed step whose inputs did not change: its log, its coverage, marked cached", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo, ["test", "coverage"]);
    const cache = repoCache(repo);
    const first = await runOnHost(repo, steps, { cache });
    expect(statusOf(first.run, "test:auth")).toBe("passed");

    const second = await runOnHost(repo, steps, { cache });
    expect(statusOf(second.run, "test:auth")).toBe("passed (cached)");
    expect(second.output.get("test:auth")).toBe(first.output.get("test:auth"));
    const coverage = second.run.steps.find((step) => step.id === "coverage");
    expect(coverage?.status).toBe("passed");
    expect(coverage?.coverageReport?.map((entry) => entry.subject)).toEqual(["auth"]);
    expect(coverage?.cached).toBeUndefined();
  });

  it("reruns a step when a file of a shared package it imports changes, and sees it fail", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe("passed");

    await writeFile(join(repo, "services/db/src/value.mjs"), "export const value = 41;\n");
    const broken = await runOnHost(repo, steps, { cache });
    expect(statusOf(broken.run, "test:auth")).toBe("failed");
    expect(broken.output.get("test:auth")).toContain("expected 42 from @workers/db, got 41");
  });

  it("reruns a step when any of its own files changes", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    await writeFile(join(repo, "services/auth/src/extra.ts"), "export const extra = 1;\n");
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe("passed");
  });

  it("reruns a step when the install it ran on changed, though the lockfile did not", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    // pnpm's record of what it installed: a stale install is a different one.
    const record = join(repo, "node_modules/.pnpm/lock.yaml");
    await writeFile(record, `${await readFile(record, "utf8")}# another install\n`);
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe("passed");
  });

  it("reruns nothing after a change outside every input", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    await writeFile(join(repo, "README.md"), "# changed\n");
    await writeFile(join(repo, "services/gateway/src/index.ts"), "export default {};\n");
    await writeFile(join(repo, "services/auth/NOTES.md"), "docs of a package are not its input\n");
    const { run } = await runOnHost(repo, steps, { cache });
    expect(run.steps.filter((step) => step.status === "passed" && !step.cached)).toEqual([]);
    expect(statusOf(run, "test:auth")).toBe("passed (cached)");
  });

  it("never records a failure", async () => {
    const repo = await stepRepo();
    await writeFile(join(repo, "services/db/src/value.mjs"), "export const value = 0;\n");
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe("failed");
    await expect(entriesOf(repo)).rejects.toThrow(/ENOENT/);
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe("failed");
  });

  it("still fails the coverage gate on replayed coverage under the threshold", async () => {
    const repo = await stepRepo();
    // One statement of four: 25%.
    await writeFile(join(repo, "services/auth/hits.json"), "[1, 0, 0, 0]\n");
    const steps = await authSteps(repo, ["test", "coverage"]);
    const cache = repoCache(repo);
    const first = await runOnHost(repo, steps, { cache });
    expect(statusOf(first.run, "coverage")).toBe("failed");

    const replayed = await runOnHost(repo, steps, { cache });
    expect(statusOf(replayed.run, "test:auth")).toBe("passed (cached)");
    expect(statusOf(replayed.run, "coverage")).toBe("failed");
    expect(replayed.run.steps.find((step) => step.id === "coverage")?.logTail).toContain("auth");
  });

  it("takes a corrupt entry for a miss, with one line saying so", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    const [entry] = await entriesOf(repo);
    const path = join(repo, ".pipeline/cache/entries", entry as string);
    await writeFile(path, (await readFile(path, "utf8")).slice(0, 40));

    const { run, warnings } = await runOnHost(repo, steps, { cache });
    expect(statusOf(run, "test:auth")).toBe("passed");
    expect(warnings).toEqual([
      expect.stringMatching(
        /^cache entry .*\.json is corrupt \(not valid JSON: .*\); running the step instead$/,
      ),
    ]);
    // Rewritten by the run: the next one replays.
    expect(statusOf((await runOnHost(repo, steps, { cache })).run, "test:auth")).toBe(
      "passed (cached)",
    );
  });

  it("takes an entry whose coverage map is not a JSON object for a miss, with one line saying so", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo, ["test", "coverage"]);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    const [entry] = await entriesOf(repo);
    const path = join(repo, ".pipeline/cache/entries", entry as string);
    const stored = JSON.parse(await readFile(path, "utf8")) as { coverage: string };
    for (const [coverage, detail] of [
      [stored.coverage.slice(0, 40), "its coverage map is not valid JSON: .*"],
      ["[1, 2]", "its coverage map is not a JSON object"],
    ] as const) {
      await writeFile(path, JSON.stringify({ ...stored, coverage }));
      const { run, warnings } = await runOnHost(repo, steps, { cache });
      expect(statusOf(run, "test:auth")).toBe("passed");
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^cache entry .*\\.json is corrupt \\(${detail}\\); running the step instead$`,
          ),
        ),
      ]);
    }
  });

  it("replays in another clone restored from the cache folder, naming that clone's files", async () => {
    const first = await stepRepo();
    const steps = await authSteps(first, ["test", "coverage"]);
    await runOnHost(first, steps, { cache: repoCache(first) });

    // What actions/cache does between two CI machines: the folder, copied to another checkout.
    const second = await stepRepo();
    await cp(join(first, ".pipeline/cache"), join(second, ".pipeline/cache"), { recursive: true });
    const { run } = await runOnHost(second, await authSteps(second, ["test", "coverage"]), {
      cache: repoCache(second),
    });
    expect(statusOf(run, "test:auth")).toBe("passed (cached)");
    expect(statusOf(run, "coverage")).toBe("passed");
    const map = JSON.parse(
      await readFile(join(second, "services/auth/coverage/coverage-final.json"), "utf8"),
    );
    expect(Object.keys(map)).toEqual([join(second, "services/auth/src/index.ts")]);
  });

  it("is not used without the sandbox", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    const { run } = await runOnHost(repo, steps, { sandbox: false, cache });
    expect(statusOf(run, "test:auth")).toBe("passed");
  });

  it("evicts the least recently used entries beyond its bound", async () => {
    const repo = await stepRepo();
    const steps = await authSteps(repo);
    const cache = repoCache(repo);
    await runOnHost(repo, steps, { cache });
    await writeFile(join(repo, "services/auth/src/extra.ts"), "export const extra = 1;\n");
    await runOnHost(repo, steps, { cache });
    const [older, newer] = await entriesOf(repo).then(async (names) =>
      Promise.all(names.map(async (name) => join(repo, ".pipeline/cache/entries", name))),
    );
    // The first entry was used last: the second goes.
    await utimes(older as string, new Date(), new Date(Date.now() + 60_000));
    await utimes(newer as string, new Date(), new Date(Date.now() - 60_000));
    const sizes = (await cache.status()).bytes;
    const { removed } = await cache.prune(sizes - 1);
    expect(removed).toBe(1);
    expect(await entriesOf(repo)).toEqual([older?.split("/").at(-1)]);
  });
});
