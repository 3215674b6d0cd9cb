import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";

// Disk faults the kernel rarely gives on demand (a full disk mid-write, a rename refused): the
// file system module is wrapped so one call fails, everything else stays real.
const faults = vi.hoisted(() => ({
  /** Fail the rename whose target ends so: ".bak" (keeping the old version) or ".json" (into place). */
  renameTo: undefined as string | undefined,
  write: false,
  link: false,
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...real,
    rename: (from: string, to: string) =>
      faults.renameTo !== undefined && to.endsWith(faults.renameTo)
        ? Promise.reject(Object.assign(new Error("EXDEV: rename refused"), { code: "EXDEV" }))
        : real.rename(from, to),
    link: (from: string, to: string) =>
      faults.link && !to.endsWith(".tmp")
        ? Promise.reject(Object.assign(new Error("EPERM: link refused"), { code: "EPERM" }))
        : real.link(from, to),
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (!faults.write) return handle;
      return Object.assign(Object.create(handle), {
        writeFile: () =>
          Promise.reject(Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" })),
        close: () => handle.close(),
      });
    },
  };
});

const { createJsonFileExclusive, readJsonFile, writeJsonFile } = await import(
  "../src/json-state-file.js"
);
const schema = z.object({ name: z.string() });

const dirs: string[] = [];
afterEach(async () => {
  faults.renameTo = undefined;
  faults.write = false;
  faults.link = false;
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "host-state-faults-"));
  dirs.push(dir);
  return dir;
}

const FAULTS = {
  "the backup's rename": () => {
    faults.renameTo = ".bak";
  },
  "the rename into place": () => {
    faults.renameTo = "state.json";
  },
  "the write of the new content": () => {
    faults.write = true;
  },
};

describe("a write the disk refuses", () => {
  for (const [fault, inject] of Object.entries(FAULTS)) {
    it(`(${fault}) throws, keeps the old content and leaves no temporary file`, async () => {
      const dir = await stateDir();
      const file = join(dir, "state.json");
      await writeJsonFile(file, { name: "old" }, schema);
      inject();
      await expect(writeJsonFile(file, { name: "new" }, schema)).rejects.toThrow(/EXDEV|ENOSPC/);
      expect(await readJsonFile(file, schema, "")).toEqual({ name: "old" });
      expect((await readdir(dir)).filter((name) => name.startsWith("."))).toEqual([]);
    });
  }

  it("an exclusive creation whose link is refused for another reason throws, not 'already held'", async () => {
    const dir = await stateDir();
    faults.link = true;
    await expect(createJsonFileExclusive(join(dir, "lock.json"), { name: "a" })).rejects.toThrow(
      /EPERM/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
