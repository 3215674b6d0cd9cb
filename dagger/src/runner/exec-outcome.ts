/** How a command in a container ended: what the core's ports expect from any runner. */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The outcome carried by the error a failed `withExec` throws. Commands run with the default
 * `expect` (success), because `ReturnType.Any` would make the engine cache a failure as a result
 * that later runs replay; the failure is then read from the error. The module runtime's SDK does
 * not export `ExecError`, so the error is recognised by its fields. Any other error (an engine or
 * network fault) is not a command's outcome and is rethrown.
 */
export function execFailure(error: unknown): ExecOutcome {
  if (
    typeof error === "object" &&
    error !== null &&
    "exitCode" in error &&
    typeof error.exitCode === "number" &&
    error.exitCode !== 0
  ) {
    const text = (field: string) => {
      const value = (error as Record<string, unknown>)[field];
      return typeof value === "string" ? value : "";
    };
    return { exitCode: error.exitCode, stdout: text("stdout"), stderr: text("stderr") };
  }
  throw error;
}
