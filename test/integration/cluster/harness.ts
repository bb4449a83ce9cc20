import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { ClusterNode } from './cluster-node';
import { RedisCluster, startNodesOn } from './redis-cluster';
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

/**
 * A real Redis Cluster for the file's tests (`each`: a fresh one for every test, for tests that
 * kill a master), and `startNodes`, three node processes on it (startNodesOn), killed after each test.
 */
export function useRedisCluster({
  each = false,
  ...options
}: Parameters<typeof RedisCluster.start>[0] & { each?: boolean } = {}): {
  cluster: () => RedisCluster;
  startNodes: (namespace: string, breaker: Record<string, unknown>) => Promise<ClusterNode[]>;
} {
  let cluster: RedisCluster | undefined;
  const nodes: ClusterNode[] = [];
  (each ? beforeEach : beforeAll)(async () => {
    cluster = await RedisCluster.start(options);
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) node.kill();
    if (each) await cluster?.stop();
  });
  if (!each) afterAll(() => cluster?.stop());
  const startNodes = async (namespace: string, breaker: Record<string, unknown>): Promise<ClusterNode[]> => {
    const started = await startNodesOn(cluster!, namespace, breaker);
    nodes.push(...started);
    return started;
  };
  return { cluster: () => cluster!, startNodes };
}
