import { join } from "node:path";
import ts from "typescript";

export interface TypecheckResult {
  errors: string[];
  /** Where `@dagger.io/dagger` resolved from: it must be the npm package, not a generated sdk/. */
  daggerTypes: string | undefined;
}

/** `tsc -p <dir>/tsconfig.json`, in-process, with the repository's TypeScript, against npm's SDK. */
export function typecheckModule(dir: string): TypecheckResult {
  const configPath = join(dir, "tsconfig.json");
  const errors: string[] = [];
  const config = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      errors.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!config) {
    return { errors, daggerTypes: undefined };
  }
  // Without the sdk/ that `dagger develop` generates, these paths fall back to node_modules;
  // dropping them makes the npm package the target even where sdk/ exists.
  const { paths: _generatedSdk, ...options } = config.options;
  const program = ts.createProgram(config.fileNames, options);
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => dir,
    getNewLine: () => "\n",
  };
  const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
  errors.push(...diagnostics.map((diagnostic) => ts.formatDiagnostic(diagnostic, host).trim()));
  const daggerTypes = program
    .getSourceFiles()
    .map((file) => file.fileName)
    .find((fileName) => fileName.endsWith("@dagger.io/dagger/dist/src/index.d.ts"));
  return { errors, daggerTypes };
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
