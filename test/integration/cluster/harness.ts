import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ClusterNode } from './cluster-node';
import { RedisServer } from './redis-server';

/** A real redis-server for the file's tests, and the node processes they start, killed after each test. */
export function useCluster(): { redis: () => RedisServer; nodes: ClusterNode[] } {
  let redis: RedisServer | undefined;
  const nodes: ClusterNode[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.kill();
  });
  afterEach(() => {
    for (const node of nodes.splice(0)) node.kill();
  });
  return { redis: () => redis!, nodes };
}
