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

/** A test file's text, and the suite it runs in. */
export interface SuiteSource extends SuiteFile {
  text: string;
  /** Whether its suite shares one module cache across files (`isolate: false`). */
  shared: boolean;
}

/**
 * In a suite whose files share modules, a mocked module or a stubbed global would leak into the
 * files after it: each such use is a problem, naming the file.
 */
export function sharedModuleProblems(sources: readonly SuiteSource[]): string[] {
  return sources
    .filter(
      (source) => source.shared && /\bvi\.(mock|doMock|stubGlobal|stubEnv)\(/.test(source.text),
    )
    .map(
      (source) =>
        `${source.file} mocks or stubs through vi, but suite ${source.suite} shares modules between files`,
    );
}
