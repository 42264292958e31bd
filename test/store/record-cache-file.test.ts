/**
 * The record cache's file (src/store/record-cache-file.ts), read back as written, and its index
 * read strictly: a line that is not `name \t key \t offset \t length \t crc \t flags` as the writer
 * writes them (8 lowercase hex digits of CRC-32, plain decimals) ends the index there, so the
 * entries from it on are not found (their records are read); content that fails its CRC is not
 * handed out.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCacheFile, ENTRY_FLOAT_LITERAL, ENTRY_VIEW, openCacheFile } from '../../src/store/record-cache-file.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-cache-file-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const VIEW_KEY = 'K'.repeat(43) + '=';
const ENTRIES = [
  { name: 'a.json', key: '64768:11:120:1795514400000.123:1795514400000.456', text: '{"a":1}', flags: 0 },
  { name: 'b-données.json', key: '64768:12:7:1795514400001:1795514400001', text: '{"b":"é ✓"}', flags: ENTRY_FLOAT_LITERAL },
  { name: 'c.json', key: '64768:13:9:1795514400002:1795514400002', text: 'a view\n1,2\n\u0001x', flags: ENTRY_VIEW },
];

const write = (file: string): void => {
  const writer = createCacheFile(file, VIEW_KEY);
  for (const e of ENTRIES) writer.append(e.name, e.key, e.text, e.flags);
  writer.commit();
};

/** The names found, in order, and the texts their bytes give. */
const readBack = (file: string): { name: string; text: string | null }[] => {
  const reader = openCacheFile(file);
  assert.ok(reader !== null, `${file} opens`);
  const found = ENTRIES.flatMap((e) => {
    const entry = reader.lookup(e.name);
    if (entry === undefined) return [];
    assert.deepEqual([entry.key, entry.flags], [e.key, e.flags]);
    return [{ name: e.name, text: reader.bytes(entry)?.toString('utf8') ?? null }];
  });
  reader.close();
  return found;
};

/** The file with `from` replaced by `to` (same length) in its index (the file's last occurrence). */
const edited = (name: string, from: string, to: string): string => {
  assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
  const source = join(temp, 'good.bin');
  const bytes = readFileSync(source);
  const at = bytes.lastIndexOf(Buffer.from(from));
  assert.ok(at > 0, `${from} is in the file`);
  Buffer.from(to).copy(bytes, at);
  const file = join(temp, name);
  writeFileSync(file, bytes, { mode: 0o600 });
  return file;
};

describe('record cache file', () => {
  it('gives back what was written, and its index strictly', () => {
    write(join(temp, 'good.bin'));
    assert.deepEqual(readBack(join(temp, 'good.bin')), ENTRIES.map((e) => ({ name: e.name, text: e.text })));
    const text = readFileSync(join(temp, 'good.bin'), 'latin1');
    const line = text.split('\n').find((l) => l.startsWith('b-'));
    assert.ok(line !== undefined);
    const fields = line.split('\t');
    const crc = fields[4] as string;
    assert.match(crc, /^[0-9a-f]{8}$/);
    // Each malformed field of b's line ends the index there: a and nothing after it.
    const cases: [string, string][] = [
      [`\t${crc}\t`, `\t${crc.slice(0, 7)}G\t`],
      [`\t${crc}\t`, `\t${crc.toUpperCase().replace(/^[0-9]/, 'A')}\t`],
      [`\t${fields[2]}\t`, `\t${(fields[2] as string).slice(0, -1)}x\t`],
      [`\t${fields[3]}\t${crc}`, `\t+${(fields[3] as string).slice(1)}\t${crc}`],
      [`${crc}\t${fields[5]}`, `${crc}\t${fields[5] === '1' ? '9' : '9'}`],
      [`${fields[1]}\t`, `${(fields[1] as string).slice(0, -1)}\t\t`],
    ];
    for (const [i, [from, to]] of cases.entries()) {
      const found = readBack(edited(`bad-${i}.bin`, from, to)).map((e) => e.name);
      assert.deepEqual(found, ['a.json'], `${from} -> ${to}`);
    }
    // Content that fails its CRC is not handed out; the others are.
    const content = edited('content.bin', '{"a":1}', '{"a":2}');
    assert.deepEqual(readBack(content).map((e) => e.text), [null, ENTRIES[1]!.text, ENTRIES[2]!.text]);
  });
});
