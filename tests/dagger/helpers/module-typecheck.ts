import { join } from "node:path";
import ts from "typescript";

export interface TypecheckResult {
  errors: string[];
  /** Where `@dagger.io/dagger` resolved from: it must be the npm package, not a generated sdk/. */
  daggerTypes: string | undefined;
}

/** `tsc -p <dir>/tsconfig.json`, in-process, with the repository's TypeScript. */
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
  const program = ts.createProgram(config.fileNames, config.options);
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
