/**
 * The Workers a run may have changed and has not yet proven restored, kept current while it
 * runs. A runner that must end before the run does (a second SIGINT on the host) prints these
 * lines: the commands that finish the rollback by hand.
 */
export class UnfinishedRollbacks {
  private readonly open = new Map<string, string>();

  /** `worker` may change from now on; `line` says how to put it back. */
  opened(worker: string, line: string): void {
    this.open.set(worker, line);
  }

  /** `worker` is back on the version the run found it on. */
  closed(worker: string): void {
    this.open.delete(worker);
  }

  lines(): string[] {
    return [...this.open.values()];
  }
}
