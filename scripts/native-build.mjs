// The addon's builds, with the running Node's own headers (scripts/node-headers.mjs):
//   install   at `npm install`: an addon that loads (a prebuild, or an earlier build), else a
//             local build, else one warning and the reference core at run time (the install
//             never fails for want of a compiler)
//   rebuild   build/Release from source (development)
//   prebuild  prebuilds/ for every PREBUILD_TARGETS platform (`npm pack` runs it)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withNodeHeaders } from './node-headers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireHere = createRequire(import.meta.url);

/** The platforms the tarball carries a prebuild for, with the compilers that cross-build them. */
export const PREBUILD_TARGETS = [
  { arch: 'x64', toolchain: 'x86_64-linux-gnu', debianPackage: 'g++-x86-64-linux-gnu' },
  { arch: 'arm64', toolchain: 'aarch64-linux-gnu', debianPackage: 'g++-aarch64-linux-gnu' },
];

/** node-gyp: the project's own in a clone, else the one npm puts on PATH for install scripts. */
function nodeGyp() {
  try {
    const manifest = requireHere.resolve('node-gyp/package.json');
    const { bin } = requireHere(manifest);
    // `bin` is a path in node-gyp 11 and a map of commands in earlier releases.
    return [process.execPath, join(dirname(manifest), typeof bin === 'string' ? bin : bin['node-gyp'])];
  } catch {
    return ['node-gyp'];
  }
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
}

/** Whether an addon for this platform already loads: a prebuild, or an earlier local build. */
function addonLoads() {
  try {
    requireHere('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

/** node-gyp's own words for why it failed: its `stack Error:` line, else its first error line. */
function buildFailure(build) {
  if (build.error !== undefined) return build.error.message;
  const lines = `${build.stdout ?? ''}\n${build.stderr ?? ''}`.split('\n');
  const stack = lines.find((line) => line.includes('gyp ERR! stack Error: '));
  if (stack !== undefined) return stack.slice(stack.indexOf('Error: ') + 'Error: '.length).trim();
  return lines.find((line) => /error:/i.test(line))?.trim() ?? `node-gyp exited with ${build.status}`;
}

function rebuild(stdio) {
  const [command, ...args] = nodeGyp();
  return run(command, [...args, 'rebuild'], { stdio, env: withNodeHeaders() });
}

function install() {
  if (addonLoads()) return 0;
  const build = rebuild('pipe');
  if (build.status === 0) return 0;
  process.stderr.write(
    `breakwater: no prebuild for ${process.platform}-${process.arch} and the native core could not be built here (${buildFailure(build)}); ` +
      'breakwater will run on its reference core (slower, same behaviour). Install a C++ toolchain, make and python3, then `npm rebuild breakwater`, to use the native core.\n',
  );
  return 0;
}

function prebuild() {
  const prebuildify = join(dirname(requireHere.resolve('prebuildify/package.json')), 'bin.js');
  for (const target of PREBUILD_TARGETS) {
    const cross = target.arch !== process.arch || process.platform !== 'linux';
    const tool = (name) => `${target.toolchain}-${name}`;
    if (cross && run('sh', ['-c', `command -v ${tool('g++')}`]).status !== 0) {
      process.stderr.write(
        `breakwater: the linux-${target.arch} prebuild needs ${tool('g++')} (Debian: apt-get install ${target.debianPackage})\n`,
      );
      return 1;
    }
    const args = [
      prebuildify,
      '--napi',
      '--strip',
      `--arch=${target.arch}`,
      ...(cross ? [`--strip-bin=${tool('strip')}`] : []),
    ];
    const env = withNodeHeaders(cross ? { ...process.env, CC: tool('gcc'), CXX: tool('g++') } : process.env);
    const built = run(process.execPath, args, { stdio: 'inherit', env });
    if (built.status !== 0) return built.status ?? 1;
  }
  return 0;
}

const commands = { install, rebuild: () => rebuild('inherit').status ?? 1, prebuild };
const command = commands[process.argv[2]];
if (command === undefined) {
  process.stderr.write(`usage: node scripts/native-build.mjs ${Object.keys(commands).join('|')}\n`);
  process.exitCode = 2;
} else {
  process.exitCode = command();
}
