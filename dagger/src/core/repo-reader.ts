/**
 * The core's only view of the repository's files. The host implements it with node:fs, the
 * Dagger module over a Directory, so discovery runs unchanged in both places.
 * Paths are relative to the repository root and use forward slashes.
 */
export interface RepoReader {
  /** The file's text, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Names (not paths) of the directories directly inside `path`; empty when it does not exist. */
  listDirectories(path: string): Promise<string[]>;
}
