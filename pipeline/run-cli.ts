import {
  InvalidGitRefError,
  InvalidSinceError,
  MissingBaseRefError,
  NoServicesChosenError,
  RolloutOptionError,
  UndeclaredTargetError,
  UnknownServiceError,
  UnknownTargetError,
} from "#core";
import { type CommandContext, UsageError } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import {
  CommandLineError,
  type ParsedCommandLine,
  parseCommandLine,
} from "./parse-command-line.js";

/** Errors caused by what the user typed: exit code 2, like other CLIs' usage errors. */
const BAD_INPUT = [
  UsageError,
  UnknownServiceError,
  MissingBaseRefError,
  InvalidGitRefError,
  NoServicesChosenError,
  InvalidSinceError,
  UnknownTargetError,
  UndeclaredTargetError,
  RolloutOptionError,
];

/** Dispatches `pnpm run pipeline <command> ...` and turns known errors into one-line messages. */
export async function runCli(argv: string[], context: CommandContext): Promise<number> {
  let parsed: ParsedCommandLine | undefined;
  try {
    parsed = parseCommandLine(COMMANDS, argv, context.stdout);
  } catch (error) {
    if (error instanceof CommandLineError) {
      context.stderr(`${prefix(error.command)}: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (parsed === undefined) {
    return 0;
  }
  try {
    return await parsed.run(context);
  } catch (error) {
    if (!(error instanceof Error)) {
      throw error;
    }
    context.stderr(`${prefix(parsed.command)}: ${error.message}`);
    return BAD_INPUT.some((kind) => error instanceof kind) ? 2 : 1;
  }
}

function prefix(command: string): string {
  return command === "" ? "pipeline" : `pipeline ${command}`;
}
