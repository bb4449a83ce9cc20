import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src';
import { connectCluster } from '../../../src/cluster';
import { useCluster } from './harness';

const { redis } = useCluster();

describe('a sync of many breakers on a single Redis', () => {
  it('opens for the cluster exactly the breakers whose summed windows cross, across the scripts of one pipeline', async () => {
    // A script takes 100 breakers: 99 and 100 sit either side of the first boundary, 249 ends the third script.
    const tripping = new Set([0, 99, 100, 249]);
    const options = { minimumCalls: 4, failureRateThreshold: 50, failureThreshold: 0, recoveryTimeout: 60_000 };
    const [clockA, clockB] = [new ManualClock(), new ManualClock()];
    const [registryA, registryB] = [new Registry({ clock: clockA }), new Registry({ clock: clockB })];
    const nodes = [registryA, registryB].map((registry) =>
      connectCluster(registry, { redis: redis().url, namespace: 'batches', syncIntervalMs: 100 }),
    );
    try {
      await Promise.all(nodes.map((node) => node.ready));
      for (const registry of [registryA, registryB]) {
        for (let i = 0; i < 250; i++) {
          const breaker = registry.getOrCreate('endpoint', `tenant-${i}`, options);
          // Two failures a node: alone below minimumCalls, together at it, all failed.
          for (let call = 0; call < 2; call++) {
            try {
              breaker.executeSync(() => {
                if (tripping.has(i)) throw new Error('down');
              });
            } catch {
              // the failure the window counts
            }
          }
        }
      }
      await clockA.runFor(100); // A's windows reach Redis first: nothing crosses yet
      await clockB.runFor(100); // B's sync crosses the thresholds of the tripping breakers
      await clockA.runFor(100); // A hears it (the message, and its next sync)
      for (const registry of [registryA, registryB]) {
        const open = [...Array(250).keys()].filter(
          (i) => registry.get('endpoint', `tenant-${i}`)!.getState() === 'open',
        );
        expect(open).toEqual([...tripping]);
      }
      expect(nodes.map((node) => node.status.failedSyncs)).toEqual([0, 0]);
    } finally {
      for (const node of nodes) await node.close();
      await registryA.shutdown();
      await registryB.shutdown();
    }
  });
});
