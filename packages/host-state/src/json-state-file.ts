import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type * as z from "zod";

// The pipeline's state files (the local control plane's state.json and cloud.json, the deploy
// locks, the step-duration history) share one discipline:
//   - a write never leaves a torn file: the text goes to a temporary file in the same directory,
//     is fsynced, renamed over the file, and the directory is fsynced so the rename survives a
//     power loss too;
//   - each replaced version that was good is kept as `<file>.bak`, and a corrupt file never
//     replaces that backup;
//   - a read checks the file against its schema, and a corrupt file is one line naming the file,
//     what is wrong and what to do; nothing is deleted or overwritten to get past it.
// Hand-written rather than write-file-atomic or atomically: neither fsyncs the directory, keeps
// a last-good backup or creates exclusively, which is most of what is needed here.

export class CorruptStateFileError extends Error {
  constructor(
    readonly file: string,
    /** What is wrong, e.g. `not valid JSON: Unexpected end of JSON input`. */
    readonly detail: string,
    remedy: string,
  ) {
    super(`${file} is corrupt (${detail}): ${remedy}`);
    this.name = "CorruptStateFileError";
  }
}

export function backupOf(file: string): string {
  return `${file}.bak`;
}

/** A state file as found on disk; other read errors (permissions, a directory) are thrown. */
export type JsonFileRead<T> =
  | { state: "missing" }
  | { state: "good"; value: T }
  | { state: "corrupt"; detail: string };

export async function inspectJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<JsonFileRead<z.infer<S>>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: "missing" };
    throw error;
  }
  return check(text, schema);
}

/**
 * The file's value, or undefined when it does not exist. A file that is not JSON or does not
 * match `schema` throws a CorruptStateFileError whose message ends with `remedy`.
 */
export async function readJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
  remedy: string,
): Promise<z.infer<S> | undefined> {
  const read = await inspectJsonFile(file, schema);
  if (read.state === "corrupt") throw new CorruptStateFileError(file, read.detail, remedy);
  return read.state === "good" ? read.value : undefined;
}

/**
 * Replaces `file` with `value` atomically and durably, first keeping the version it replaces as
 * `<file>.bak` when that version is good.
 */
export async function writeJsonFile<S extends z.ZodType>(
  file: string,
  value: z.infer<S>,
  schema: S,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  await backUpIfGood(file, schema);
  const temp = await writeTemp(file, serialize(value), options.mode);
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Creates `file` holding `value` only if no file of that name exists; false when one does. The
 * content is written and fsynced under a temporary name and then hard-linked into place: link(2)
 * fails on an existing name like O_EXCL does, and the file appears complete or not at all.
 */
export async function createJsonFileExclusive(file: string, value: unknown): Promise<boolean> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = await writeTemp(file, serialize(value));
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
    await syncDirectory(dir);
  }
}

function serialize(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function check<S extends z.ZodType>(
  text: string,
  schema: S,
): { state: "good"; value: z.infer<S> } | { state: "corrupt"; detail: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8 quotes part of the input in its message; collapse it so the error stays one line.
    const message = (error as Error).message.replace(/\s+/g, " ");
    return { state: "corrupt", detail: `not valid JSON: ${message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { state: "good", value: parsed.data };
  const [first, ...rest] = parsed.error.issues;
  const where = first?.path.join(".") || "(root)";
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : "";
  return { state: "corrupt", detail: `${where}: ${first?.message ?? "invalid"}${more}` };
}

async function backUpIfGood(file: string, schema: z.ZodType): Promise<void> {
  if ((await inspectJsonFile(file, schema)).state !== "good") return;
  // A second name for the good version's inode: the rename that follows replaces only the name
  // `file`, so the backup costs no copy and is never half-written.
  const temp = tempNameFor(backupOf(file));
  await link(file, temp);
  try {
    await rename(temp, backupOf(file));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function writeTemp(file: string, text: string, mode?: number): Promise<string> {
  const temp = tempNameFor(file);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

/** Hidden, unique per writer, and in the file's own directory so rename(2) stays atomic. */
function tempNameFor(file: string): string {
  return join(
    dirname(file),
    `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

/** Makes renames and links in `dir` durable. Windows cannot open a directory to fsync it. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
