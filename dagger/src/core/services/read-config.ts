import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import type { RepoReader } from "../repo-reader.js";
import { ServiceConfigError } from "./config-error.js";

/** Reads and parses a JSON or JSONC file, failing with its path and the position of a syntax error. */
export async function readJsoncFile(reader: RepoReader, file: string): Promise<unknown> {
  const text = await reader.readText(file);
  if (text === undefined) {
    throw new ServiceConfigError(file, "", "file not found (every service needs one)");
  }
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

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
