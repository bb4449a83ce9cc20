// Builds dist/: one CommonJS file per source file (one module graph: every entry, `require` and
// `import` alike, shares each class), an ES module wrapper per package entry over that CommonJS
// module, and the declarations (tsc, `@internal` stripped).
import { build, transformSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markBuilt } from './build-stamp.mjs';
import { PACKAGE_ENTRIES } from './package-entries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const sourceDir = join(root, 'src');

/** Every TypeScript source file (declaration files aside). */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Packages bundled into the file that imports them: small, and not a runtime dependency. */
const INLINED_PACKAGES = ['protobufjs'];

/**
 * Sources of plain constants and pure functions (no classes, no state), copied into each file that
 * imports them: a constant of the importing module's own is one V8 folds into the code, while one
 * read through another module's exports is two loads on every use (an open-circuit refusal: 13 ns
 * against 45), and a function of its own is one V8 inlines without a load.
 */
const INLINED_SOURCES = [join(sourceDir, 'core/layout.ts'), join(sourceDir, 'core/codec.ts')];

/**
 * In our sources, relative imports stay `require('./x')` (resolved to the built sibling at run time,
 * so each source file is one module) and packages stay external, except those inlined above.
 */
const oneFilePerModule = {
  name: 'one-file-per-module',
  setup(onResolve) {
    onResolve.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || !args.importer.startsWith(sourceDir)) return undefined;
      if (args.path.startsWith('.')) {
        return INLINED_SOURCES.includes(`${join(args.resolveDir, args.path)}.ts`)
          ? undefined
          : { path: args.path, external: true };
      }
      if (INLINED_PACKAGES.some((name) => args.path === name || args.path.startsWith(`${name}/`))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const started = new Date();
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: sources(sourceDir),
  outdir: dist,
  outbase: sourceDir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Whitespace only: names stay, so stack traces read; the main entry loads well under 150 KB.
  minifyWhitespace: true,
  logLevel: 'warning',
  plugins: [oneFilePerModule],
});

/** Characters a built line may take before esbuild breaks it (see inLines). */
const LINE_LIMIT = 120;
/** How the hint that names a module's exports for Node's CommonJS lexer begins. */
const LEXER_HINT = '0&&(module.exports=';

// esbuild's CommonJS exports are getters (live bindings), and a getter per imported name is a call
// on every use: 180 ns added to an open-circuit refusal. Nothing here needs live bindings (no cycles,
// no exported `let`), so each module's exports become plain data properties once its body has run.
const EXPORTS_AT_TOP = /module\.exports=__toCommonJS\((\w+)\);/;
for (const source of sources(sourceDir)) {
  const file = join(dist, relative(sourceDir, source)).replace(/\.ts$/, '.js');
  writeFileSync(file, withClassNames(inLines(withPlainExports(readFileSync(file, 'utf8'))), source));
}

/**
 * A class that names itself in its body (a static factory's `new X()`, an `instanceof X`) comes out
 * of esbuild as `var X=class _X`, so its `name` was `_X`: what stack frames, `util.inspect` and a
 * logger's `err.constructor.name` showed. The class expression takes the class's own name back
 * (the same class either way: the outer `var` is never reassigned). Done after the line breaking,
 * whose transform would rename a class expression that shares its variable's name.
 */
function withClassNames(code, source) {
  const names = [...code.matchAll(/var (\w+)=\s*class\s+_\1\b/g)].map((match) => match[1]);
  const sourceCode = names.length > 0 ? readFileSync(source, 'utf8') : '';
  for (const name of names) {
    const renamed = new RegExp(`\\b_${name}\\b`, 'g');
    if (renamed.test(sourceCode)) {
      throw new Error(
        `${source} has its own _${name}, which the class-name rewrite in build-dist.mjs would take for the class`,
      );
    }
    code = code.replace(renamed, name);
  }
  return code;
}

/** A module's exports as plain data properties (see above); code without esbuild's exports stays as it is. */
function withPlainExports(code) {
  const match = EXPORTS_AT_TOP.exec(code);
  if (match === null) return code;
  const plain = `module.exports=Object.assign(Object.defineProperty({},"__esModule",{value:true}),${match[1]});`;
  const body = withoutUnusedHelpers(code.replace(EXPORTS_AT_TOP, ''));
  const lexerHint = body.lastIndexOf(LEXER_HINT);
  return lexerHint < 0 ? `${body}${plain}\n` : `${body.slice(0, lexerHint)}${plain}${body.slice(lexerHint)}`;
}

/**
 * Whitespace-minified code broken into lines of about LINE_LIMIT characters: a whole module on one
 * line made every stack frame `file.js:1:<column>`, and Node prints the line of an uncaught error's
 * throw, which was the whole module. Done after the exports rewrite, which matches esbuild's one-line output.
 */
function inLines(code) {
  // The hint at the end that names the exports for Node's CommonJS lexer stays as it is (the
  // transform would drop it as dead code).
  const hint = code.lastIndexOf(LEXER_HINT);
  const [body, tail] = hint < 0 ? [code, ''] : [code.slice(0, hint), code.slice(hint)];
  return `${transformSync(body, { loader: 'js', minifyWhitespace: true, lineLimit: LINE_LIMIT }).code}${tail}`;
}

/**
 * Drops esbuild's export helpers that the plain exports above left unused (each file carried ~500
 * bytes of them; one file per module makes that the bulk of what `require('breakwater')` loads). A
 * helper goes only when its exact definition is found and nothing else names it, latest first, so
 * a helper that the others use goes after them; anything unexpected is left as it is.
 */
function withoutUnusedHelpers(code) {
  const helpers = [
    'var __toCommonJS=mod=>__copyProps(__defProp({},"__esModule",{value:true}),mod);',
    'var __copyProps=(to,from,except,desc)=>{if(from&&typeof from==="object"||typeof from==="function"){for(let key of __getOwnPropNames(from))if(!__hasOwnProp.call(to,key)&&key!==except)__defProp(to,key,{get:()=>from[key],enumerable:!(desc=__getOwnPropDesc(from,key))||desc.enumerable})}return to};',
    'var __hasOwnProp=Object.prototype.hasOwnProperty;',
    'var __getOwnPropNames=Object.getOwnPropertyNames;',
    'var __getOwnPropDesc=Object.getOwnPropertyDescriptor;',
  ];
  for (const definition of helpers) {
    const name = definition.slice(4, definition.indexOf('='));
    const at = code.indexOf(definition);
    if (at < 0) continue;
    const rest = code.slice(0, at) + code.slice(at + definition.length);
    if (!new RegExp(`\\b${name}\\b`).test(rest)) code = rest;
  }
  return code;
}

// ES module wrappers: the CommonJS module's exports, named, so `import` gets the very same classes.
process.env.BREAKWATER_NATIVE = '0'; // listing the exports must not need the addon
const requireBuilt = createRequire(join(dist, 'index.js'));
for (const entry of PACKAGE_ENTRIES) {
  if (entry.source !== undefined) writeFileSync(join(dist, entry.cjs), entry.source);
  const exported = requireBuilt(join(dist, entry.cjs));
  const names =
    entry.namedExports === false
      ? []
      : Object.keys(exported).filter((name) => name !== 'default' && name !== '__esModule');
  const target = `./${relative(dirname(join(dist, entry.esm)), join(dist, entry.cjs))}`;
  const lines = [`import built from '${target}';`, 'export default built;'];
  if (names.length > 0) lines.push(`export const { ${names.join(', ')} } = built;`);
  writeFileSync(join(dist, entry.esm), `${lines.join('\n')}\n`);
}

// Declarations beside the CommonJS files; the `export =` entries get their own small file.
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
for (const entry of PACKAGE_ENTRIES.filter((e) => e.declarations !== undefined)) {
  writeFileSync(join(dist, entry.cjs.replace(/\.js$/, '.d.ts')), entry.declarations);
}
markBuilt(started);
