import { spawnSync } from 'node:child_process';

/**
 * Runs `script` in a Node process that sees `folder` as a tmpfs of `megabytes` MiB: a small
 * /dev/shm, as a container has by default (64 MiB in Docker). The mount lives in a private mount
 * namespace (util-linux's unshare, unprivileged through a user namespace), so it needs no root
 * and vanishes with the process.
 */
export function runOnSmallTmpfs(script: string, folder: string, megabytes: number) {
  const mountThenRun = `mount -t tmpfs -o size=${megabytes}m tmpfs "$0" || exit 97; exec "$@"`;
  const child = spawnSync(
    'unshare',
    ['--mount', '--map-root-user', 'sh', '-c', mountThenRun, folder, process.execPath, '-e', script, '--', folder],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (child.error !== undefined || child.status === 97)
    throw new Error(
      `this test mounts a small tmpfs in a private mount namespace; it needs util-linux's unshare and user namespaces (or root): ${child.error?.message ?? child.stderr}`,
    );
  return child;
}
