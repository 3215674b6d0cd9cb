import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import type { RepoReader } from "../repo-reader.js";
import { ServiceConfigError } from "./config-error.js";

async function readRequired(reader: RepoReader, file: string): Promise<string> {
  const text = await reader.readText(file);
  if (text === undefined) {
    throw new ServiceConfigError(file, "", "file not found (every service needs one)");
  }
  return text;
}

/** Reads and parses a JSON or JSONC file, failing with its path and the position of a syntax error. */
export async function readJsoncFile(reader: RepoReader, file: string): Promise<unknown> {
  const text = await readRequired(reader, file);
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true });
  const [error] = errors;
  if (error) {
    const { line, column } = position(text, error.offset);
    throw new ServiceConfigError(
      file,
      `line ${line} column ${column}`,
      `invalid JSON (${printParseErrorCode(error.error)})`,
    );
  }
  return value;
}

/** Reads a TOML file (wrangler.toml), failing with its path and the position of a syntax error. */
export async function readTomlFile(reader: RepoReader, file: string): Promise<unknown> {
  const text = await readRequired(reader, file);
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "");
      throw new ServiceConfigError(
        file,
        `line ${error.line} column ${error.column}`,
        `invalid TOML (${reason})`,
      );
    }
    throw error;
  }
}

/** Reads a config in whichever format its extension names. */
export function readConfigFile(reader: RepoReader, file: string): Promise<unknown> {
  return file.endsWith(".toml") ? readTomlFile(reader, file) : readJsoncFile(reader, file);
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
