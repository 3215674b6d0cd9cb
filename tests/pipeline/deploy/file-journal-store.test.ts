import { appendFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type JournalEntry, newestUnfinishedRun } from "#core";
import { fileJournalStore, JOURNAL_DIR } from "../../../pipeline/deploy/file-journal-store.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "journal-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const planned = (run: string, at: string): JournalEntry => ({
  kind: "planned",
  run,
  target: "local",
  at,
  waves: [["db"]],
  previous: { db: "v1" },
});

describe("fileJournalStore", () => {
  it("reads back what was appended, dropping a line torn by a crash mid-write", async () => {
    const store = fileJournalStore(root);
    await store.append("local", "run-1.1", planned("run-1", "2026-12-01T00:00:00.000Z"));
    store.appendNow?.("local", "run-1.1", {
      kind: "child",
      at: "2026-12-01T00:00:01.000Z",
      pid: 7,
    });
    await store.append("local", "run-1.1", {
      kind: "step",
      at: "2026-12-01T00:00:02.000Z",
      service: "db",
      step: "deploy-started",
    });
    await appendFile(join(root, JOURNAL_DIR, "local", "run-1.1.ndjson"), '{"kind":"step","at');
    const [journal] = await store.runs("local");
    expect(journal?.key).toBe("run-1.1");
    expect(journal?.entries.map((entry) => entry.kind)).toEqual(["planned", "child", "step"]);
    const run = await newestUnfinishedRun(store, "local");
    expect(run).toMatchObject({ run: "run-1", children: [{ pid: 7 }] });
    expect(run?.services[0]).toMatchObject({
      service: "db",
      last: "deploy-started",
      previous: "v1",
    });
    expect(await store.runs("staging")).toEqual([]);
  });

  it("keeps the newest 20 finished journals and every unfinished one", async () => {
    const store = fileJournalStore(root);
    for (let index = 0; index < 22; index++) {
      const at = new Date(Date.UTC(2026, 11, 1, 0, index)).toISOString();
      await store.append("local", `done-${index}`, planned(`done-${index}`, at));
      await store.append("local", `done-${index}`, { kind: "ended", at, outcome: "deployed" });
    }
    await store.append("local", "open", planned("open", "2026-11-01T00:00:00.000Z"));
    const names = await readdir(join(root, JOURNAL_DIR, "local"));
    expect(names).toContain("open.ndjson");
    expect(names).not.toContain("done-0.ndjson");
    expect(names).not.toContain("done-1.ndjson");
    expect(names.filter((name) => name.startsWith("done-"))).toHaveLength(20);
  });
});
