import { createRequire } from "node:module";
import { join } from "node:path";
import type ts from "typescript";

export interface TypecheckResult {
  version: string;
  errors: string[];
  /** Where `@dagger.io/dagger` resolved from: it must be the npm package, not a generated sdk/. */
  daggerTypes: string | undefined;
}

/** The repository's TypeScript 6, or the 5.9.3 the Dagger engine typechecks modules with. */
export type Compiler = "typescript" | "typescript-engine";

/** `tsc -p <dir>/tsconfig.json` in-process, against npm's SDK, with the chosen compiler. */
export function typecheckModule(
  dir: string,
  compilerPackage: Compiler = "typescript",
): TypecheckResult {
  // The calls below exist with the same shape in 5.9 and 6; only 6's typings are in scope.
  const compiler = createRequire(import.meta.url)(compilerPackage) as typeof ts;
  const configPath = join(dir, "tsconfig.json");
  const errors: string[] = [];
  const config = compiler.getParsedCommandLineOfConfigFile(configPath, undefined, {
    ...compiler.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      errors.push(compiler.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!config) {
    return { version: compiler.version, errors, daggerTypes: undefined };
  }
  // Without the sdk/ that `dagger develop` generates, these paths fall back to node_modules;
  // dropping them makes the npm package the target even where sdk/ exists.
  const { paths: _generatedSdk, ...options } = config.options;
  const program = compiler.createProgram(config.fileNames, options);
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => dir,
    getNewLine: () => "\n",
  };
  const diagnostics = [...config.errors, ...compiler.getPreEmitDiagnostics(program)];
  errors.push(
    ...diagnostics.map((diagnostic) => compiler.formatDiagnostic(diagnostic, host).trim()),
  );
  const daggerTypes = program
    .getSourceFiles()
    .map((file) => file.fileName)
    .find((fileName) => fileName.endsWith("@dagger.io/dagger/dist/src/index.d.ts"));
  return { version: compiler.version, errors, daggerTypes };
}

/** What `dagger develop` (TypeScript SDK 0.21) writes into the module's tsconfig.json. */
const DEVELOP_OPTIONS = {
  experimentalDecorators: true,
  paths: {
    "@dagger.io/dagger": ["./sdk/index.ts"],
    "@dagger.io/dagger/telemetry": ["./sdk/telemetry.ts"],
  },
};

/** Options `dagger develop` would add or change, so that running it leaves no diff. */
export function developDriftProblems(compilerOptions: Record<string, unknown>): string[] {
  return Object.entries(DEVELOP_OPTIONS)
    .filter(([name, value]) => JSON.stringify(compilerOptions[name]) !== JSON.stringify(value))
    .map(
      ([name, value]) =>
        `compilerOptions.${name} is not ${JSON.stringify(value)}; dagger develop would rewrite it`,
    );
}
