import type { CommandContext } from "./command.js";

/** One `--name` option of a command, as its help shows it and the parser checks it. */
export interface OptionSpec {
  /** The value's placeholder, such as `<file>`; a flag without one is a boolean. */
  readonly value?: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: string;
  readonly required?: boolean;
  /** May be repeated; every value is kept, in order. */
  readonly multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What `pnpm run pipeline <command> --help` shows and the parser enforces. */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** One line: the command list shows it, and it opens the command's help. */
  readonly summary: string;
  readonly options: O;
  /** Two command lines, runnable as written from the repository root. */
  readonly examples: readonly [string, string];
}

type OptionValue<S extends OptionSpec> = S extends { value: string }
  ? S extends { choices: readonly (infer C extends string)[] }
    ? C
    : string
  : boolean;

type FlagValue<S extends OptionSpec> = S extends { multiple: true }
  ? OptionValue<S>[]
  : OptionValue<S>;

/** Options that always have a value after parsing. */
type ValuedKeys<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends { required: true } | { default: string } ? K : never;
}[keyof O];

/** The parsed values of a command's options, keyed by option name as typed (`dry-run`). */
export type Flags<O extends OptionSpecs> = {
  -readonly [K in ValuedKeys<O>]: FlagValue<O[K]>;
} & {
  -readonly [K in Exclude<keyof O, ValuedKeys<O>>]?: FlagValue<O[K]>;
};

export interface CommandRunner<O extends OptionSpecs> {
  /** Returns the process exit code. */
  run(flags: Flags<O>, context: CommandContext): Promise<number>;
}

/** A command whose first argument picks an action (`local start|stop|status`). */
export interface GroupSpec<
  A extends Readonly<Record<string, CommandSpec>> = Readonly<Record<string, CommandSpec>>,
> {
  readonly summary: string;
  readonly examples: readonly [string, string];
  readonly actions: A;
}

/**
 * A runner with its flags' type erased, so that every command fits one registry. Only the parser
 * calls it, with flags it built from the very spec `defineCommand()` or `defineGroup()` checked
 * the runner against.
 */
export interface ErasedRunner {
  run(flags: never, context: CommandContext): Promise<number>;
}

export interface LeafEntry extends CommandSpec {
  readonly runner: ErasedRunner;
}

export interface GroupEntry {
  readonly summary: string;
  readonly examples: readonly [string, string];
  readonly actions: Readonly<Record<string, LeafEntry>>;
}

export type CommandEntry = LeafEntry | GroupEntry;

/** A command: its spec beside its handler, whose flags must match the spec's options. */
export function defineCommand<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  runner: CommandRunner<NoInfer<O>>,
): LeafEntry {
  return { ...spec, runner };
}

/** A command with actions (`local start|stop|status`), one handler per action. */
export function defineGroup<A extends Readonly<Record<string, CommandSpec>>>(
  spec: GroupSpec<A>,
  runners: { [K in keyof NoInfer<A>]: CommandRunner<NoInfer<A>[K]["options"]> },
): GroupEntry {
  const actions = Object.entries(spec.actions).map(([name, action]): [string, LeafEntry] => [
    name,
    { ...action, runner: runners[name as keyof A] },
  ]);
  return { summary: spec.summary, examples: spec.examples, actions: Object.fromEntries(actions) };
}
