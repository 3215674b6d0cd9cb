import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../../helpers/in-process-cli.js";
import { stepRepo } from "../../helpers/step-repo.js";

const cachedSteps = async (repo: string, report: string) =>
  (
    JSON.parse(await readFile(join(repo, report), "utf8")) as {
      steps: { id: string; cached?: boolean }[];
    }
  ).steps
    .filter((step) => step.cached === true)
    .map((step) => step.id);

describe("pipeline runs with the step cache", () => {
  it("mark replayed steps cached in the live lines, the table and the JSON report", async () => {
    const repo = await stepRepo();
    const env = { ...process.env };
    const test = (...extra: string[]) =>
      runPipeline(["test", "--service", "auth", "--json", "report.json", ...extra], {
        cwd: repo,
        env,
      });
    expect((await test()).exitCode).toBe(0);
    expect(await cachedSteps(repo, "report.json")).toEqual([]);

    const warm = await test();
    expect(warm.exitCode).toBe(0);
    expect(warm.stdout).toMatch(/^\+ test:auth PASS \(cached\) in /m);
    expect(warm.stdout).toMatch(/^test:auth\s+PASS \(cached\)/m);
    expect(warm.stdout).toContain("; 1 replayed from the cache");
    expect(await cachedSteps(repo, "report.json")).toEqual(["test:auth"]);

    expect((await test("--no-cache")).exitCode).toBe(0);
    expect(await cachedSteps(repo, "report.json")).toEqual([]);
    expect((await test("--no-sandbox")).exitCode).toBe(0);
    expect(await cachedSteps(repo, "report.json")).toEqual([]);
  });
});

describe("pipeline cache status and prune", () => {
  it("count the entries, and prune empties the cache with --max-size 0", async () => {
    const repo = await stepRepo();
    const env = { ...process.env };
    await runPipeline(["test", "--service", "auth"], { cwd: repo, env });

    const status = await runPipeline(["cache", "status", "--json"], { cwd: repo, env });
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      dir: join(repo, ".pipeline/cache"),
      entries: 1,
      maxBytes: 1024 * 2 ** 20,
    });

    const pruned = await runPipeline(["cache", "prune", "--max-size", "0"], { cwd: repo, env });
    expect(pruned).toMatchObject({ exitCode: 0 });
    expect(pruned.stdout).toMatch(/^removed 1 entries \([\d.]+ MB\); 0 left, 0\.0 MB$/);
    const after = await runPipeline(["cache", "status"], { cwd: repo, env });
    expect(after.stdout).toMatch(/: 0 entries, 0\.0 MB of 1024\.0 MB$/);
  });

  it("reject a size that is not one, in one line with exit code 2", async () => {
    const repo = await stepRepo();
    expect(
      await runPipeline(["cache", "prune", "--max-size", "lots"], { cwd: repo, env: process.env }),
    ).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: 'pipeline cache prune: --max-size: "lots" is not a size in megabytes (0 or more)',
    });
    const badBound = await runPipeline(["cache", "status"], {
      cwd: repo,
      env: { ...process.env, PIPELINE_CACHE_MAX_MB: "big" },
    });
    expect(badBound.exitCode).toBe(2);
    expect(badBound.stderr).toContain('PIPELINE_CACHE_MAX_MB="big" is not a size');
  });
});
