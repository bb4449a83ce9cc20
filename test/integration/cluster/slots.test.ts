import { describe, expect, it } from 'vitest';
import { keySlot } from '../../../src/cluster/slots';

describe('keySlot', () => {
  it("gives Redis Cluster's slots (values from the Redis Cluster specification and CLUSTER KEYSLOT)", () => {
    expect(keySlot('123456789')).toBe(0x31c3 % 16384); // the CRC16 check value of the specification
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // an empty tag hashes the whole key
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
  });
});
