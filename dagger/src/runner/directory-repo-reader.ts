import { type Directory, ExistsType } from "@dagger.io/dagger";
import type { RepoReader } from "../core/index.js";

/** The core's file reader over the Directory the module was called with. */
export class DirectoryRepoReader implements RepoReader {
  constructor(private readonly root: Directory) {}

  async readText(path: string): Promise<string | undefined> {
    // Asking first keeps "missing" apart from real engine errors, which still throw.
    if (!(await this.root.exists(path, { expectedType: ExistsType.RegularType }))) {
      return undefined;
    }
    return this.root.file(path).contents();
  }

  async listDirectories(path: string): Promise<string[]> {
    if (!(await this.root.exists(path, { expectedType: ExistsType.DirectoryType }))) {
      return [];
    }
    // Engines differ on whether entries mark directories with a trailing slash, so ask.
    const names = (await this.root.directory(path).entries()).map((entry) =>
      entry.replace(/\/$/, ""),
    );
    const isDirectory = await Promise.all(
      names.map((name) =>
        this.root.exists(`${path}/${name}`, { expectedType: ExistsType.DirectoryType }),
      ),
    );
    return names.filter((_, index) => isDirectory[index]);
  }
}
