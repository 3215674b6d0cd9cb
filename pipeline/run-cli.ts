import { MissingBaseRefError } from "../dagger/src/core/affected.js";
import { UnknownServiceError } from "../dagger/src/core/services/catalog.js";
import { type CommandContext, UsageError } from "./command.js";
import { COMMANDS } from "./commands/registry.js";

/** Errors caused by what the user typed: exit code 2, like other CLIs' usage errors. */
const BAD_INPUT = [UsageError, UnknownServiceError, MissingBaseRefError];

function usage(): string {
  const names = Object.keys(COMMANDS);
  return `usage: pnpm run pipeline <command> [options]; commands: ${names.join(", ")}`;
}

/** Dispatches `pnpm run pipeline <command> ...` and turns known errors into one-line messages. */
export async function runCli(argv: string[], context: CommandContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    context.stderr(usage());
    return 2;
  }
  if (name === "--help" || name === "help") {
    context.stdout(usage());
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    context.stderr(
      `pipeline: unknown command "${name}"; valid commands: ${Object.keys(COMMANDS).join(", ")}`,
    );
    return 2;
  }
  try {
    const { command } = await load();
    return await command.run(args, context);
  } catch (error) {
    if (!(error instanceof Error)) {
      throw error;
    }
    context.stderr(`pipeline ${name}: ${error.message}`);
    return BAD_INPUT.some((kind) => error instanceof kind) ? 2 : 1;
  }
}
