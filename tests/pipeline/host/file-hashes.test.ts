import { createHash } from "node:crypto";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileHashes } from "../../../pipeline/host/file-hashes.js";
import { tempDir } from "../../helpers/fixture-repo.js";

const MEMO = ".pipeline/cache/file-hashes.json";
/** A clock a minute ahead: the files the test just wrote look settled. */
const later = () => Date.now() + 60_000;
const sha = (content: string) => createHash("sha256").update("-").update(content).digest("hex");

async function repoWith(content: string): Promise<string> {
  const repo = await tempDir("file-hashes-");
  await writeFile(join(repo, "a.ts"), content);
  return repo;
}

/** Replaces the remembered hash of `path`, to see whether the next run reads the file. */
async function tamper(repo: string, path: string, hash: string): Promise<void> {
  const memo = JSON.parse(await readFile(join(repo, MEMO), "utf8"));
  memo.files[path][1] = hash;
  await writeFile(join(repo, MEMO), JSON.stringify(memo));
}

describe("file hashes remembered between runs", () => {
  it("hashes content and executable bit, and takes a settled file's hash from the last run", async () => {
    const repo = await repoWith("one");
    const first = await FileHashes.load(repo, later);
    expect(await first.hash("a.ts")).toBe(sha("one"));
    await first.save();
    await tamper(repo, "a.ts", "remembered");
    expect(await (await FileHashes.load(repo, later)).hash("a.ts")).toBe("remembered");
  });

  it("leaves the memo file as it is when a run changed nothing in it", async () => {
    const repo = await repoWith("one");
    const first = await FileHashes.load(repo, later);
    await first.hash("a.ts");
    await first.save();
    const written = await stat(join(repo, MEMO));
    const again = await FileHashes.load(repo, later);
    await again.hash("a.ts");
    await again.save();
    // A write replaces the file by rename: a new inode.
    expect((await stat(join(repo, MEMO))).ino).toBe(written.ino);
    await writeFile(join(repo, "b.ts"), "two");
    const more = await FileHashes.load(repo, later);
    await more.hash("a.ts");
    await more.hash("b.ts");
    await more.save();
    expect((await stat(join(repo, MEMO))).ino).not.toBe(written.ino);
  });

  it("reads a file again when it changed, even with its old modification time put back", async () => {
    const repo = await repoWith("one");
    const first = await FileHashes.load(repo, later);
    await first.hash("a.ts");
    await first.save();
    await tamper(repo, "a.ts", "remembered");
    const { atime, mtime } = await stat(join(repo, "a.ts"));
    await writeFile(join(repo, "a.ts"), "two");
    await utimes(join(repo, "a.ts"), atime, mtime);
    // Same size and modification time: the change time (which utimes cannot set) tells.
    expect(await (await FileHashes.load(repo, later)).hash("a.ts")).toBe(sha("two"));
  });

  it("does not keep the hash of a file changed just before it was read", async () => {
    const repo = await repoWith("one");
    const hashes = await FileHashes.load(repo);
    await hashes.hash("a.ts");
    await hashes.save();
    expect(JSON.parse(await readFile(join(repo, MEMO), "utf8")).files).toEqual({});
  });

  it("takes a corrupt memo for an empty one", async () => {
    const repo = await repoWith("one");
    const first = await FileHashes.load(repo, later);
    await first.hash("a.ts");
    await first.save();
    await writeFile(join(repo, MEMO), '{"format": 1, "files": {"a.ts": ["x"');
    expect(await (await FileHashes.load(repo, later)).hash("a.ts")).toBe(sha("one"));
  });
});
