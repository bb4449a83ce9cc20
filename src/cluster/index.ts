import type { Registry } from '../registry/registry';
import { ClusterConnection } from './connection';
import type { ClusterOptions } from './options';

export { ClusterConnection } from './connection';
export type { ClusterEvent, ClusterStatus } from './status';
export type { ClusterOptions, ClusterRedisClient } from './options';

/**
 * Shares `registry`'s breakers with every node that connects its registry to the same Redis and
 * namespace (README "Many processes, many hosts"). Returns at once; `ready` settles after the
 * first sync. ioredis is an optional peer dependency, loaded only here.
 */
export function connectCluster(registry: Registry, options: ClusterOptions): ClusterConnection {
  return new ClusterConnection(registry, options);
}
