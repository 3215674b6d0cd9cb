/** A `--base` that git and pnpm would read as an option instead of a ref. */
export class InvalidGitRefError extends Error {
  constructor(readonly ref: string) {
    super(`--base: "${ref}" is not a git ref; pass a branch, tag or commit such as origin/main`);
    this.name = "InvalidGitRefError";
  }
}

/**
 * A ref reaches git and pnpm argv; one starting with "-" would be read as an option
 * (`--base --output=...`), so both runners refuse it before either runs.
 */
export function requireGitRef(ref: string): string {
  if (ref === "" || ref.startsWith("-")) throw new InvalidGitRefError(ref);
  return ref;
}
