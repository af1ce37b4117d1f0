// Persistence for in-memory servers (tests, `dataDir` unset): nothing survives the process,
// and commits cannot fail, so the object store alone is the state.
import type { LoadedState, Persistence, PersistedWrite } from './types.ts';

export class MemoryPersistence implements Persistence {
  readonly durable = false;
  private readonly settings = new Map<string, string>();

  load(): LoadedState {
    return { records: [], lastVersion: 0 };
  }

  commit(_writes: readonly PersistedWrite[]): void {
    // Nothing to persist: the caller's in-memory store is the only copy.
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  getSetting(name: string): string | undefined {
    return this.settings.get(name);
  }

  setSetting(name: string, value: string): void {
    this.settings.set(name, value);
  }

  close(): void {
    this.settings.clear();
  }
}
