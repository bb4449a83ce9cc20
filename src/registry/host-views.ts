import type { HostArena } from '../core/host-arena';
import type { Entry } from './entry';
import type { HostPlacement } from './host-breakers';

/**
 * Keeps a registry's host breakers on the rules the host last configured them with: a
 * reconfigure() (or a tuner) in any process changes the shared slot, and each tick one crossing
 * reads every view's config version, so a view whose slot was configured elsewhere takes the new
 * record (its options, its fast paths and the features read from them follow within a tick).
 */
export class HostViews {
  private readonly views = new Map<Entry, HostPlacement>();
  private slots = new Int32Array(0);
  private versions = new Float64Array(0);

  constructor(private readonly host: HostArena) {}

  add(entry: Entry, placement: HostPlacement): void {
    this.views.set(entry, placement);
  }

  drop(entry: Entry): void {
    this.views.delete(entry);
  }

  /**
   * The file was cut under the mapping (HostArena.cut()): the slots and records past the cut are
   * this process's zero pages now. Each view writes its rules into its slot again, so it goes on
   * guarding by them, and stops following a record no process will write; breakers named after
   * the cut make records of their own there.
   */
  keepOnOwnPages(): void {
    for (const entry of this.views.keys()) entry.breaker.writeCoreConfig();
    this.views.clear();
  }

  /** Brings every view whose slot another process configured since up to its record. */
  follow(): void {
    if (this.views.size === 0) return;
    if (this.slots.length !== this.views.size) {
      this.slots = new Int32Array(this.views.size);
      this.versions = new Float64Array(this.views.size);
    }
    let i = 0;
    for (const placement of this.views.values()) this.slots[i++] = placement.slot;
    this.host.configVersions(this.slots, this.versions);
    i = 0;
    for (const [entry, placement] of this.views) {
      const version = this.versions[i++];
      // Odd: a write is under way; the next tick reads it whole.
      if (version === placement.version || version % 2 === 1) continue;
      placement.version = version;
      entry.tuningCause = { source: 'host', reason: `configured by a process of host arena ${this.host.path}` };
      try {
        entry.breaker.followConfig(this.host.configOf(placement.slot));
      } finally {
        entry.tuningCause = undefined;
      }
    }
  }
}
