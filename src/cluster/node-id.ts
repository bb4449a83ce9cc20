import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { HostArena } from '../core/host-arena';

/**
 * The node id of a host: its name, its arena file's, and a digest of that file's identity (inode
 * and birth time), which every process of the host reads alike. Two hosts that share a host name
 * (containers given one, a VM image cloned) and an arena path are still two nodes: by name and
 * path alone the cluster kept one window for both, and counted half their failures.
 */
function hostNodeId(path: string): string {
  // A file removed under a live mapping (someone cleaned /dev/shm) still names this host's arena: its path alone, then.
  const file = statSync(path, { bigint: true, throwIfNoEntry: false });
  const identity = createHash('sha1')
    .update(`${path}\0${file?.ino ?? ''}\0${file?.birthtimeNs ?? ''}`)
    .digest('hex')
    .slice(0, 10);
  return `${hostname()}:${basename(path)}:${identity}`;
}

/** A node's id when its options name none: with a host arena the host is the node, whichever of its processes syncs; else this process. */
export function defaultNodeId(host: HostArena | undefined): string {
  return host === undefined ? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}` : hostNodeId(host.path);
}
