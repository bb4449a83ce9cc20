// The running Node's own headers for node-gyp (prefix/include/node, as official tarballs, nvm,
// Homebrew and Debian install them): never a fixed path and never a download.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The running Node's prefix when it holds include/node/node.h; else undefined (node-gyp's default). */
export function nodeHeadersDir(execPath = process.execPath) {
  const prefix = dirname(dirname(execPath));
  return existsSync(join(prefix, 'include/node/node.h')) ? prefix : undefined;
}

/** The environment for node-gyp (direct or through prebuildify): npm_config_nodedir set to those headers. */
export function withNodeHeaders(env = process.env) {
  const dir = nodeHeadersDir();
  return dir === undefined ? { ...env } : { ...env, npm_config_nodedir: dir };
}
