/** Which suite (vitest project) vitest would run a test file in, as it resolved the config. */
export interface SuiteFile {
  suite: string;
  file: string;
}

/**
 * A tooling test file in no suite never runs in CI (each step runs one suite); one in two suites
 * runs twice. Both are problems, one line each.
 */
export function suiteProblems(
  testFiles: readonly string[],
  resolved: readonly SuiteFile[],
): string[] {
  const suitesOf = new Map<string, string[]>(testFiles.map((file) => [file, []]));
  for (const { suite, file } of resolved) {
    suitesOf.set(file, [...(suitesOf.get(file) ?? []), suite]);
  }
  return [...suitesOf].flatMap(([file, suites]) => {
    if (suites.length === 0) {
      return [`${file} is in no tooling suite, so no CI step runs it`];
    }
    return suites.length > 1 ? [`${file} is in several tooling suites: ${suites.join(", ")}`] : [];
  });
}
