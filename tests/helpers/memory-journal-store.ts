import type { JournalEntry, JournalStore } from "#core";

/** Journals kept in memory, keyed by environment and journal key, for the core's tests. */
export class MemoryJournalStore implements JournalStore {
  readonly journals = new Map<string, { key: string; entries: JournalEntry[] }[]>();

  async append(target: string, key: string, entry: JournalEntry): Promise<void> {
    const runs = this.journals.get(target) ?? [];
    this.journals.set(target, runs);
    let journal = runs.find((candidate) => candidate.key === key);
    if (journal === undefined) {
      journal = { key, entries: [] };
      runs.push(journal);
    }
    journal.entries.push(entry);
  }

  async runs(target: string): Promise<{ key: string; entries: JournalEntry[] }[]> {
    return this.journals.get(target) ?? [];
  }

  /** Every entry of `target`'s journals, as "<kind> <service> <step>" lines. */
  lines(target: string): string[] {
    return (this.journals.get(target) ?? []).flatMap(({ entries }) =>
      entries.map((entry) =>
        entry.kind === "step" ? `step ${entry.service} ${entry.step}` : entry.kind,
      ),
    );
  }
}
