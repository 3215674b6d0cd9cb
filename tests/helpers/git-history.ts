import { execa } from "execa";
import type { TempRepo } from "./temp-repo.js";

/** Commits everything in the copy and returns the new commit's sha. */
export async function commitAll(repo: TempRepo, message: string): Promise<string> {
  const git = (...args: string[]) => execa("git", args, { cwd: repo.root });
  await git("add", "-A");
  await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message);
  return (await git("rev-parse", "HEAD")).stdout.trim();
}

/**
 * Four commits pushed at once, only the second touching a service (email): what HEAD~1 would
 * miss, and what `--base deployed` must catch.
 */
export async function pushFourCommitsTouchingEmail(repo: TempRepo): Promise<void> {
  await repo.add("notes.md", "one\n");
  await commitAll(repo, "docs");
  await repo.patch("services/email/src/templates.ts", (text) => `${text}\n// changed\n`);
  await commitAll(repo, "email");
  await repo.patch("notes.md", (text) => `${text}two\n`);
  await commitAll(repo, "docs again");
  await repo.add("more-notes.md", "three\n");
  await commitAll(repo, "more docs");
}
