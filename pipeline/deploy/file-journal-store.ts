import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory } from "@workers/host-state";
import {
  type DeployTarget,
  foldJournal,
  type JournalEntry,
  type JournalStore,
  journalEntrySchema,
} from "#core";

/** Gitignored, beside the locks: journals describe this machine's deploys. */
export const JOURNAL_DIR = ".pipeline/journal";

/** Finished journals kept per environment (newest first), for a look back after the fact. */
const FINISHED_KEPT = 20;

/**
 * One ND-JSON file per run (`.pipeline/journal/<env>/<run>.ndjson`). Each entry is one line,
 * appended and fsynced before `append` returns, so a step is on disk before the change it
 * announces starts; the directory is fsynced when a file is created, so a new journal survives
 * a power loss too. A crash mid-append can leave a torn last line: it is dropped on reading,
 * and so is everything after the first line that does not parse (nothing valid follows a tear).
 */
export function fileJournalStore(repoRoot: string): JournalStore {
  const dir = (target: DeployTarget) => join(repoRoot, JOURNAL_DIR, target);
  const file = (target: DeployTarget, key: string) =>
    join(dir(target), `${key.replace(/[^A-Za-z0-9._-]/g, "_")}.ndjson`);

  return {
    async append(target, key, entry) {
      await mkdir(dir(target), { recursive: true });
      const handle = await open(file(target, key), "a");
      let created = false;
      try {
        created = (await handle.stat()).size === 0;
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      if (created) {
        await syncDirectory(dir(target));
        if (entry.kind === "planned") await pruneFinished(dir(target));
      }
    },
    appendNow(target, key, entry) {
      // Only after the journal exists (its plan comes first), so no directory to create here.
      const fd = openSync(file(target, key), "a");
      try {
        writeSync(fd, `${JSON.stringify(entry)}\n`);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    async runs(target) {
      return readJournals(dir(target));
    },
  };
}

async function readJournals(dir: string): Promise<{ key: string; entries: JournalEntry[] }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(".ndjson"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return Promise.all(
    names.map(async (name) => ({
      key: name.slice(0, -".ndjson".length),
      entries: parseJournal(await readFile(join(dir, name), "utf8")),
    })),
  );
}

export function parseJournal(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      break;
    }
    const parsed = journalEntrySchema.safeParse(json);
    if (!parsed.success) break;
    entries.push(parsed.data);
  }
  return entries;
}

/** Keeps the newest finished journals; unfinished ones stay until `recover` ends them. */
async function pruneFinished(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".ndjson"));
  const finished = (
    await Promise.all(
      names.map(async (name) => {
        const run = foldJournal(parseJournal(await readFile(join(dir, name), "utf8")));
        return run?.ended === undefined ? [] : [{ name, startedAt: run.startedAt }];
      }),
    )
  )
    .flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  await Promise.all(
    finished.slice(FINISHED_KEPT).map(({ name }) => rm(join(dir, name), { force: true })),
  );
}
