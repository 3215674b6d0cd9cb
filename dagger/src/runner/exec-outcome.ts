import type { Container } from "@dagger.io/dagger";

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

/**
 * Runs the container's last exec once and reads its output, and optionally a file it wrote,
 * from the synced container. Concurrent queries that each name the exec may each run it (the
 * engine accepts "occasional redundant execution": dagql/cache.go, v0.21.8), which for a deploy
 * or a rollback would do it twice; reads through the synced container's id cannot.
 */
export async function runOnce(
  container: Container,
  file?: string,
): Promise<ExecOutcome & { file?: string }> {
  let synced: Container;
  try {
    synced = await container.sync();
  } catch (error) {
    return execFailure(error);
  }
  const [stdout, stderr, contents] = await Promise.all([
    synced.stdout(),
    synced.stderr(),
    file === undefined ? undefined : synced.file(file).contents(),
  ]);
  return { exitCode: 0, stdout, stderr, ...(contents === undefined ? {} : { file: contents }) };
}
