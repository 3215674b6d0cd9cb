import type { RepoReader } from "./repo-reader.js";

/**
 * A checkout whose `.git` is a file (`gitdir: ...`): a `git worktree` or a submodule. Its history
 * lives in another folder, which an upload of this one (a Dagger `source`, a sandbox) leaves
 * behind, so git there answers "not a git repository".
 */
export class DetachedGitDirError extends Error {
  constructor(what: string, gitdir: string) {
    super(
      `${what} needs git history, but .git here is a file pointing to ${gitdir} (a git worktree or submodule), outside what is uploaded; run from the main checkout or a clone`,
    );
    this.name = "DetachedGitDirError";
  }
}

/** Fails in one line when the repository's git history is not inside it. */
export async function requireGitHistory(reader: RepoReader, what: string): Promise<void> {
  if ((await reader.listDirectories("")).includes(".git")) return;
  const gitFile = await reader.readText(".git");
  const gitdir = /^gitdir:\s*(.+)$/m.exec(gitFile ?? "")?.[1]?.trim();
  if (gitdir !== undefined) throw new DetachedGitDirError(what, gitdir);
}
