import nodeGypBuild from 'node-gyp-build';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERA_SHIFT, HEADER_BYTES, Header, LANES, LAYOUT_VERSION, SLOT_FIXED_BYTES, Slot } from '../../src/core/layout';

describe('arena layout', () => {
  it('the TypeScript constants are the offsets the addon was compiled with (native/core/layout.h)', () => {
    const binding = nodeGypBuild(resolve(__dirname, '../..')) as { layout(): unknown };
    expect(binding.layout()).toEqual({
      version: LAYOUT_VERSION,
      headerBytes: HEADER_BYTES,
      slotFixedBytes: SLOT_FIXED_BYTES,
      lanes: LANES,
      eraShift: ERA_SHIFT,
      header: Header,
      slot: Slot,
    });
  });
});
