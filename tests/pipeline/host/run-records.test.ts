import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  listRunIds,
  readRunRecord,
  runsDir,
  startRunRecord,
} from "../../../pipeline/host/run-records.js";
import { tempDir } from "../../helpers/fixture-repo.js";

/** A steps run's record, just started in a repository of its own. */
async function stepsRunRecord(title: string) {
  const repo = await tempDir("run-records-");
  const record = await startRunRecord(repo, {
    kind: "steps",
    title,
    graph: [],
    progress: { finished: [], running: [] },
  });
  return { repo, record };
}

describe("run records in .pipeline/runs", () => {
  it("keeps the newest 100 runs, removing older records with their HTML reports and backups", async () => {
    const repo = await tempDir("run-records-");
    await mkdir(runsDir(repo), { recursive: true });
    const old = Array.from(
      { length: 100 },
      (_, day) => `202601${String(day).padStart(3, "0")}T000000000Z-steps-1`,
    );
    for (const id of old) {
      for (const extension of ["json", "json.bak", "html"]) {
        await writeFile(join(runsDir(repo), `${id}.${extension}`), "{}");
      }
    }
    const record = await startRunRecord(
      repo,
      { kind: "deploy", title: "pipeline deploy" },
      new Date("2026-12-06T00:00:00Z"),
    );
    expect(record.id).toBe(`20261206T000000000Z-deploy-${process.pid}`);
    const ids = await listRunIds(repo);
    expect(ids).toHaveLength(100);
    expect(ids[0]).toBe(record.id);
    expect(ids).not.toContain(old[0]);
    const files = await readdir(runsDir(repo));
    expect(files.filter((file) => file.startsWith(old[0] as string))).toEqual([]);
    expect(files.filter((file) => file.startsWith(old[1] as string))).toHaveLength(3);
  });

  it("writes each update in order and names the HTML report once finished", async () => {
    const { repo, record } = await stepsRunRecord("pipeline ci");
    expect((await readRunRecord(repo, record.id))?.state).toBe("running");
    void record.update({ progress: { finished: [], running: ["install"] } });
    void record.update({ progress: { finished: [], running: ["install", "lint"] } });
    const html = await record.finish("failed", { passed: false }, "<p>report</p>");
    const finished = await readRunRecord(repo, record.id);
    expect(finished).toMatchObject({
      state: "failed",
      report: { passed: false },
      htmlReport: html,
    });
    expect(finished?.progress).toBeUndefined();
  });

  it("coalesces updates that come while a write is in flight: the last one lands, in two writes", async () => {
    const { repo, record } = await stepsRunRecord("pipeline test");
    const running = (count: number) =>
      Array.from({ length: count }, (_, index) => `test:service-${index}`);
    const landed = Array.from({ length: 20 }, (_, index) =>
      record.update({ progress: { finished: [], running: running(index + 1) } }),
    );
    await Promise.all(landed);
    expect((await readRunRecord(repo, record.id))?.progress?.running).toEqual(running(20));
    // The backup is the record before the last write: the first update, not the nineteenth.
    const backup = JSON.parse(await readFile(join(runsDir(repo), `${record.id}.json.bak`), "utf8"));
    expect(backup.progress.running).toEqual(running(1));
  });
});
