import type { JournalEntry, JournalStore } from "./deploy-journal.js";

/**
 * Journals kept in memory: for a runner with no lasting disk (a Dagger function's container is
 * gone when the call ends, so its deploys are recognised by their annotations instead), and for
 * tests.
 */
export class MemoryJournalStore implements JournalStore {
  private readonly journals = new Map<string, { key: string; entries: JournalEntry[] }[]>();

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
}
