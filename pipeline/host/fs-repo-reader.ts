import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RepoReader } from "#core";

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The repository as the core sees it, read from the host's file system. */
export function fsRepoReader(root: string): RepoReader {
  return {
    async readText(path) {
      try {
        return await readFile(join(root, path), "utf8");
      } catch (error) {
        if (isMissing(error)) {
          return undefined;
        }
        throw error;
      }
    },
    async listDirectories(path) {
      try {
        const entries = await readdir(join(root, path), { withFileTypes: true });
        return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
      } catch (error) {
        if (isMissing(error)) {
          return [];
        }
        throw error;
      }
    },
  };
}
