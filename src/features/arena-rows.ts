/** Rows read together: their breakers stay in the CPU's cache from flush to row. */
export const CHUNK_ROWS = 256;

/** One arena's rows of a chunk and their slots, in buffers that grow and are reused. */
export class ArenaRows {
  count = 0;
  /** Whether the current read had rows in this arena. */
  read = false;
  rows = new Int32Array(16);
  slots = new Int32Array(16);

  constructor(readonly arenaId: number) {}

  push(row: number, slot: number): void {
    if (this.count === this.rows.length) {
      this.rows = grown(this.rows);
      this.slots = grown(this.slots);
    }
    this.rows[this.count] = row;
    this.slots[this.count++] = slot;
  }
}

function grown(values: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(values.length * 2);
  bigger.set(values);
  return bigger;
}
