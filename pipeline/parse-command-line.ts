import { Command, CommanderError, Option } from "commander";
import { type CommandContext, UsageError } from "./command.js";
import type { CommandEntry, LeafEntry, OptionSpec, OptionSpecs } from "./command-spec.js";

const PROGRAM = "pnpm run pipeline";

/** Bad input found while parsing: one line naming what was wrong and the valid choices. */
export class CommandLineError extends UsageError {
  /** `deploy`, `local status`, or "" for the command line as a whole. */
  readonly command: string;

  constructor(command: string, message: string) {
    super(message);
    this.name = "CommandLineError";
    this.command = command;
  }
}

export interface ParsedCommandLine {
  /** How messages name the command: `deploy`, `local status`. */
  readonly command: string;
  /** Loads the command's implementation and runs it with the parsed flags. */
  run(context: CommandContext): Promise<number>;
}

type Print = (text: string) => void;

/**
 * Parses `argv` against the registry with commander. `--help`, `-h` and `help <command>` print
 * help through `print` and return undefined; bad input throws a CommandLineError.
 */
export function parseCommandLine(
  commands: Readonly<Record<string, CommandEntry>>,
  argv: readonly string[],
  print: Print,
): ParsedCommandLine | undefined {
  // Commander's parse is synchronous: the chosen command's action records what to run.
  let parsed: ParsedCommandLine | undefined;
  const choose = (chosen: ParsedCommandLine) => {
    parsed = chosen;
  };
  const program = configure(new Command(PROGRAM), "", "command", ["--help"], print)
    .usage("<command> [options]")
    .description(
      "CI/CD of the workers monorepo on this machine: checks, affected services, deploys",
    )
    .addHelpText(
      "after",
      [
        "",
        `Run \`${PROGRAM} <command> --help\` or \`${PROGRAM} help <command>\` for its options and examples.`,
        "With --json, stdout carries only the JSON; pnpm's own lines and warnings go to stderr.",
      ].join("\n"),
    );
  const args = helpCommandAsFlag(argv, commands);
  for (const [name, entry] of Object.entries(registered(commands, args[0]))) {
    if ("actions" in entry) {
      const actions = configure(new Command(name), name, "action", ["--help"], print)
        // `help local start` and `local start --help` do it; commander's own `local help nope`
        // would report a missing action instead of the unknown one.
        .helpCommand(false)
        .description(entry.summary)
        .addHelpText("after", examplesText(entry.examples));
      for (const [action, actionEntry] of Object.entries(entry.actions)) {
        actions.addCommand(leafCommand(`${name} ${action}`, action, actionEntry, print, choose));
      }
      program.addCommand(actions);
    } else {
      program.addCommand(leafCommand(name, name, entry, print, choose));
    }
  }
  try {
    program.parse(args, { from: "user" });
  } catch (error) {
    // Only help rethrows commander's own error (see configure); bad input is a CommandLineError.
    if (error instanceof CommanderError) {
      return undefined;
    }
    throw error;
  }
  return parsed;
}

/**
 * The commands commander is given: the one named, when one is (a command's options, help and
 * errors concern it alone, and building all sixteen was a tenth of a replayed run's start);
 * else all, for the program's help and the list of valid commands.
 */
function registered(
  commands: Readonly<Record<string, CommandEntry>>,
  first = "",
): Readonly<Record<string, CommandEntry>> {
  const named = Object.hasOwn(commands, first) ? commands[first] : undefined;
  return named ? { [first]: named } : commands;
}

/** `help deploy` is `deploy --help`; `help deploi` is `deploi`, whose error suggests `deploy`. */
function helpCommandAsFlag(
  argv: readonly string[],
  commands: Readonly<Record<string, CommandEntry>>,
): string[] {
  const [first, name, ...rest] = argv;
  if (first !== "help" || name === undefined) {
    return [...argv];
  }
  return Object.hasOwn(commands, name) ? [name, ...rest, "--help"] : [name, ...rest];
}

function leafCommand(
  path: string,
  name: string,
  entry: LeafEntry,
  print: Print,
  choose: (parsed: ParsedCommandLine) => void,
): Command {
  const command = configure(new Command(name), path, "command", validOptions(entry.options), print)
    .description(entry.summary)
    .addHelpText("after", examplesText(entry.examples));
  const options = Object.entries(entry.options).map(([optionName, option]) => {
    const built = commanderOption(path, optionName, option);
    command.addOption(built);
    return { name: optionName, spec: option, attribute: built.attributeName() };
  });
  return command.action(() => {
    const flags: Record<string, unknown> = {};
    for (const option of options) {
      const value: unknown = command.getOptionValue(option.attribute);
      if (value === undefined && option.spec.required) {
        const valid = option.spec.choices
          ? `; valid values: ${option.spec.choices.join(", ")}`
          : "";
        throw new CommandLineError(
          path,
          `${flagsText(option.name, option.spec)} is required${valid}`,
        );
      }
      // Commander reads `--no-x` as "x, true unless negated": the flag itself is set when given.
      flags[option.name] = option.name.startsWith("no-") ? value === false : value;
    }
    choose({
      command: path,
      async run(context) {
        // Built from the same spec the runner was checked against (see ErasedRunner).
        return entry.runner.run(flags as never, context);
      },
    });
  });
}

function configure(
  command: Command,
  path: string,
  noun: "command" | "action",
  options: string[],
  print: Print,
): Command {
  return command
    .configureOutput({
      writeOut: (text) => print(text.trimEnd()),
      // Errors reach the user as one CommandLineError line, not as commander's text and help.
      writeErr: () => {},
      outputError: () => {},
    })
    .exitOverride((error) => {
      if (isHelp(error)) {
        throw error;
      }
      throw new CommandLineError(path, describe(error, command, noun, options));
    });
}

/** Help that was asked for exits 0; commander also shows help, as an error, for a missing command. */
function isHelp(error: CommanderError): boolean {
  return (
    error.code === "commander.helpDisplayed" ||
    (error.code === "commander.help" && error.exitCode === 0)
  );
}

function describe(
  error: CommanderError,
  command: Command,
  noun: "command" | "action",
  options: string[],
): string {
  const subcommands = command.commands.map((subcommand) => subcommand.name()).join(", ");
  switch (error.code) {
    case "commander.help":
      return `missing ${noun}; valid ${noun}s: ${subcommands}`;
    case "commander.unknownCommand":
      return `unknown ${noun} "${command.args[0]}"${suggestion(error)}; valid ${noun}s: ${subcommands}`;
    case "commander.unknownOption": {
      const flag = /unknown option '([^']*)'/.exec(error.message)?.[1];
      return `unknown option ${flag}${suggestion(error)}; valid options: ${options.join(", ")}`;
    }
    case "commander.excessArguments":
      return `unexpected argument "${command.args.join(" ")}", it takes only options: ${options.join(", ")}`;
    default:
      return error.message.replace(/^error: /, "").replaceAll("\n", " ");
  }
}

/** Commander puts "(Did you mean --service?)" on a line of its own; the error is one line. */
function suggestion(error: CommanderError): string {
  const similar = /\n\(Did you mean (.+)\?\)$/.exec(error.message)?.[1];
  return similar === undefined ? "" : ` (did you mean ${similar}?)`;
}

function validOptions(options: OptionSpecs): string[] {
  return [...Object.entries(options).map(([name, spec]) => flagsText(name, spec)), "--help"];
}

function flagsText(name: string, spec: OptionSpec): string {
  return spec.value === undefined ? `--${name}` : `--${name} ${spec.value}`;
}

function commanderOption(path: string, name: string, spec: OptionSpec): Option {
  const notes = [spec.required && "required", spec.multiple && "repeatable"].filter(Boolean);
  const option = new Option(
    flagsText(name, spec),
    notes.length === 0 ? spec.description : `${spec.description} (${notes.join(", ")})`,
  );
  const { choices } = spec;
  if (choices !== undefined) {
    // For the help's "(choices: ...)"; the parser below words the error as one line.
    option.choices(choices);
  }
  if (spec.default !== undefined) {
    option.default(spec.default);
  }
  if (choices !== undefined || spec.multiple) {
    option.argParser((value: string, previous: unknown) => {
      if (choices !== undefined && !choices.includes(value)) {
        throw new CommandLineError(
          path,
          `--${name}: unknown value "${value}"; valid values: ${choices.join(", ")}`,
        );
      }
      return spec.multiple ? [...(Array.isArray(previous) ? previous : []), value] : value;
    });
  }
  return option;
}

function examplesText(examples: readonly string[]): string {
  return `\nExamples:\n${examples.map((example) => `  ${example}`).join("\n")}`;
}
