// Writes the arena layout's constants from its one source, native/layout.json: the TypeScript
// constants (src/core/layout.ts), the C++ constants and index enums (native/core/layout_generated.h),
// static_asserts that pin the C++ structs to the same offsets (native/core/layout_asserts.h), the
// addon's report of its own offsets (native/binding/layout_report.h) and the offset tables of
// native/LAYOUT.md. Usage: node scripts/layout.mjs [--check]  (--check writes nothing and exits 1,
// naming each file, when any of them differs from what the source gives)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = 'native/layout.json';
const layout = JSON.parse(readFileSync(join(root, SOURCE), 'utf8'));
const GENERATED = `generated from ${SOURCE} by scripts/layout.mjs: edit that file, then run \`node scripts/layout.mjs\``;

const pascal = (name) =>
  /^[A-Z0-9_]+$/.test(name)
    ? name
        .toLowerCase()
        .split('_')
        .map((word) => word[0].toUpperCase() + word.slice(1))
        .join('')
    : name[0].toUpperCase() + name.slice(1);
const field = (entry) => (typeof entry === 'string' ? { ts: entry } : entry);
/** An index list's entries with their values (a field may span `width` slots). */
function indexed(list) {
  let next = 0;
  return list.fields.map((entry) => {
    const f = field(entry);
    const value = next;
    next += f.width ?? 1;
    return { ...f, value, cpp: `${list.prefix ?? ''}${f.cpp ?? pascal(f.ts)}` };
  });
}
const indexSize = (list) => list.fields.reduce((sum, entry) => sum + (field(entry).width ?? 1), 0);
const jsdoc = (doc, indent = '') => (doc ? `${indent}/** ${doc} */\n` : '');

function typescript() {
  const out = [
    `// ${GENERATED}.`,
    '/** Arena layout, the contract both cores implement (native/LAYOUT.md). Offsets in bytes. */',
    '',
  ];
  out.push(`export const MAGIC = ${layout.magic.value};`, `export const LAYOUT_VERSION = ${layout.version};`);
  for (const c of layout.constants.filter((c) => c.ts)) out.push(`${jsdoc(c.doc)}export const ${c.ts} = ${c.value};`);
  for (const record of layout.records) {
    const fields = record.fields.filter((f) => f.ts).map((f) => `  ${f.ts}: ${f.offset},`);
    out.push('', `export const ${record.ts} = {`, ...fields, '} as const;');
  }
  for (const list of layout.indices) {
    const fields = indexed(list).map((f) => `${jsdoc(f.doc, '  ')}  ${f.ts}: ${f.value},`);
    out.push('', jsdoc(list.doc) + `export const ${list.ts} = {`, ...fields, '} as const;');
    if (list.count?.ts) out.push(`export const ${list.count.ts} = ${indexSize(list)};`);
  }
  for (const code of layout.codes) {
    const fields = code.fields.map((name, value) => `  ${name}: ${value},`);
    out.push('', jsdoc(code.doc) + `export const ${code.ts} = {`, ...fields, '} as const;');
    out.push(`export type ${code.ts}Code = (typeof ${code.ts})[keyof typeof ${code.ts}];`);
  }
  out.push(
    '',
    '/** Bytes of one bucket: with the histogram (bins = HISTOGRAM_BINS) or without it (bins = 0). */',
    'export function bucketBytesFor(bins: number): number {',
    '  return BUCKET_COUNTER_BYTES + bins * HISTOGRAM_BIN_BYTES;',
    '}',
    '',
    'export function slotBytesFor(maxBuckets: number, bins: number = HISTOGRAM_BINS): number {',
    '  return SLOT_FIXED_BYTES + maxBuckets * bucketBytesFor(bins);',
    '}',
    '',
    'export function arenaBytesFor(capacity: number, maxBuckets: number, bins: number = HISTOGRAM_BINS): number {',
    '  return HEADER_BYTES + capacity * slotBytesFor(maxBuckets, bins);',
    '}',
    '',
  );
  return out.join('\n');
}

function cppConstants() {
  const out = [
    `// ${GENERATED}.`,
    '#pragma once',
    '',
    '#include <cstddef>',
    '#include <cstdint>',
    '',
    'namespace breakwater {',
    '',
    'namespace layout {',
  ];
  out.push(
    `constexpr uint32_t kMagic = ${layout.magic.value};  // ${layout.magic.doc}`,
    `constexpr uint32_t kVersion = ${layout.version};`,
  );
  for (const c of layout.constants.filter((c) => c.cpp)) out.push(`constexpr ${c.type} ${c.cpp} = ${c.value};`);
  out.push('}  // namespace layout');
  for (const code of layout.codes) {
    const members = code.fields.map((name, value) => `${pascal(name)} = ${value}`).join(', ');
    out.push('', `enum class ${code.cpp} : ${code.type} { ${members} };`);
    if (code.count) out.push(`constexpr uint32_t ${code.count} = ${code.fields.length};`);
  }
  for (const list of layout.indices.filter((l) => l.prefix && !l.nested)) {
    out.push('', `enum ${list.cpp} : size_t {`, ...indexed(list).map((f) => `  ${f.cpp} = ${f.value},`));
    out.push(`  ${list.count.cpp} = ${indexSize(list)},`, '};');
  }
  out.push('', '}  // namespace breakwater', '');
  return out.join('\n');
}

/** The C++ expression for a record field's offset (a dotted path goes through nested structs). */
function offsetExpression(record, path) {
  const parts = path.split('.');
  if (parts.length === 1) return `offsetof(${record.cpp}, ${path})`;
  const [outer, inner] = parts;
  const nested = { 'SlotHeader.config': 'SlotConfig' }[`${record.cpp}.${outer}`];
  if (nested === undefined) throw new Error(`${SOURCE}: no nested struct known for ${record.cpp}.${outer}`);
  return `offsetof(${record.cpp}, ${outer}) + offsetof(${nested}, ${inner})`;
}

function cppAsserts() {
  const out = [
    `// ${GENERATED}.`,
    '// Included at the end of layout.h: the structs above must sit at these offsets.',
    '#pragma once',
    '',
    'namespace breakwater {',
    '',
  ];
  for (const record of layout.records) {
    out.push(`static_assert(sizeof(${record.cpp}) == layout::${record.bytes});`);
    for (const f of record.fields.filter((f) => f.cpp))
      out.push(`static_assert(${offsetExpression(record, f.cpp)} == ${f.offset});`);
  }
  for (const list of layout.indices.filter((l) => l.member))
    for (const [i, name] of list.fields.entries())
      out.push(`static_assert(offsetof(${list.cpp}, ${name}) == ${i * 8});`);
  out.push('', '}  // namespace breakwater', '');
  return out.join('\n');
}

function cppReport() {
  const entries = [];
  for (const record of layout.records)
    for (const f of record.fields.filter((f) => f.ts && f.cpp))
      entries.push([`${record.ts}.${f.ts}`, offsetExpression(record, f.cpp)]);
  for (const list of layout.indices.filter((l) => l.cpp)) {
    for (const f of indexed(list)) {
      const value = list.member ? `offsetof(${list.cpp}, ${f.ts}) / 8` : list.nested ? `${list.cpp}::${f.cpp}` : f.cpp;
      entries.push([`${list.ts}.${f.ts}`, value]);
    }
  }
  for (const code of layout.codes)
    for (const name of code.fields) entries.push([`${code.ts}.${name}`, `${code.cpp}::${pascal(name)}`]);
  for (const c of layout.constants.filter((c) => c.ts && c.cpp)) entries.push([c.ts, `layout::${c.cpp}`]);
  const lines = entries.map(([name, expression]) => `    {"${name}", double(${expression})},`);
  // Indices of structs declared outside layout.h (the clock page) are pinned here, where they are in scope.
  const nestedAsserts = layout.indices
    .filter((l) => l.nested)
    .flatMap((list) => indexed(list).map((f) => `static_assert(${list.cpp}::${f.cpp} == ${f.value});`));
  return [
    `// ${GENERATED}.`,
    '// The offsets, indices and codes as this build of the addon compiled them, for the test that',
    '// compares them with the TypeScript layout.',
    '#pragma once',
    '',
    '#include <cstddef>',
    '',
    '#include "core/coarse_clock.h"',
    '#include "core/layout.h"',
    '',
    'namespace breakwater::binding {',
    '',
    ...nestedAsserts,
    '',
    'struct LayoutEntry {',
    '  const char* name;',
    '  double value;',
    '};',
    '',
    'inline const LayoutEntry kLayoutReport[] = {',
    ...lines,
    '};',
    '',
    '}  // namespace breakwater::binding',
    '',
  ].join('\n');
}

/** LAYOUT.md with each record's table rewritten between its markers. */
function markdown(current) {
  let text = current;
  for (const record of layout.records) {
    const begin = `<!-- layout.json: ${record.ts} -->`;
    const end = `<!-- /layout.json: ${record.ts} -->`;
    const at = text.indexOf(begin);
    const until = text.indexOf(end);
    if (at < 0 || until < at)
      throw new Error(`native/LAYOUT.md: no "${begin}" ... "${end}" markers for the ${record.title} table`);
    const rows = record.fields.map((f) => `| ${f.offset} | ${f.type} | ${f.doc} |`);
    const table = ['| offset | type | field |', '|---|---|---|', ...rows].join('\n');
    text = `${text.slice(0, at + begin.length)}\n${table}\n${text.slice(until)}`;
  }
  return text;
}

const files = [
  ['src/core/layout.ts', typescript],
  ['native/core/layout_generated.h', cppConstants],
  ['native/core/layout_asserts.h', cppAsserts],
  ['native/binding/layout_report.h', cppReport],
  ['native/LAYOUT.md', markdown],
];
const check = process.argv.includes('--check');
const stale = [];
for (const [path, make] of files) {
  const full = join(root, path);
  let current = '';
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    // a missing file is stale
  }
  const wanted = make(current);
  if (wanted === current) continue;
  stale.push(path);
  if (!check) writeFileSync(full, wanted);
}
if (check && stale.length > 0) {
  console.error(
    `the layout's generated files differ from ${SOURCE}: ${stale.join(', ')} (run \`node scripts/layout.mjs\`)`,
  );
  process.exit(1);
}
console.log(stale.length === 0 ? `layout: every file matches ${SOURCE}` : `layout: wrote ${stale.join(', ')}`);
