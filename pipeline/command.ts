import { type ParseArgsConfig, parseArgs } from "node:util";

/** What a command needs from the outside world, injectable so tests can run commands in-process. */
export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface PipelineCommand {
  summary: string;
  /** Returns the process exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

/** Bad input on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Strict node:util parseArgs whose errors list the command's valid options. */
export function parseCommandArgs<const T extends OptionSpec>(
  command: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const valid = Object.entries(options)
      .map(([name, spec]) => (spec.type === "string" ? `--${name} <value>` : `--${name}`))
      .join(", ");
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`${reason}; valid options for ${command}: ${valid}`);
  }
}

/** Rejects values git or pnpm would read as options (`--base --exec=...`). */
export function requireRef(ref: string): string {
  if (ref === "" || ref.startsWith("-")) {
    throw new UsageError(`--base: "${ref}" is not a git ref`);
  }
  return ref;
}

export function requireChoice<T extends string>(
  flag: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag}: unknown value "${value}"; valid values: ${choices.join(", ")}`);
  }
  return value as T;
}

export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new UsageError(`--concurrency: "${value}" is not a positive integer`);
  }
  return parsed;
}
