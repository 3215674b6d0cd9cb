/**
 * A ref reaches git and pnpm argv; one starting with "-" would be read as an option
 * (`--base --output=...`), so it is refused like on the host.
 */
export function requireGitRef(ref: string): string {
  if (ref === "" || ref.startsWith("-")) {
    throw new Error(
      `--base: "${ref}" is not a git ref; pass a branch, tag or commit such as origin/main`,
    );
  }
  return ref;
}
