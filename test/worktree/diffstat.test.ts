/** Parsing `git diff --numstat -z --no-renames` (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiffstat, parseNumstat } from '../../src/worktree/diffstat.js';

describe('parseNumstat', () => {
  it('counts text and binary files, keeps odd names whole', () => {
    const out = ['3\t1\ta.txt', '-\t-\timg.png', '0\t2\tdir/with\ttab and\nnewline.txt', ''].join('\0');
    const stat = parseNumstat(out);
    assert.deepEqual(stat, {
      files: 3,
      added: 3,
      removed: 3,
      per_file: [
        { path: 'a.txt', added: 3, removed: 1, binary: false },
        { path: 'img.png', added: 0, removed: 0, binary: true },
        { path: 'dir/with\ttab and\nnewline.txt', added: 0, removed: 2, binary: false },
      ],
    });
    assert.equal(formatDiffstat(stat), '3 files, +3 -3');
    assert.deepEqual(parseNumstat(''), { files: 0, added: 0, removed: 0, per_file: [] });
  });

  it('lists at most maxFiles files but counts them all', () => {
    const out = Array.from({ length: 5 }, (_, i) => `1\t0\tf${i}`).join('\0');
    const stat = parseNumstat(out, 2);
    assert.equal(stat.files, 5);
    assert.equal(stat.added, 5);
    assert.deepEqual(stat.per_file.map((f) => f.path), ['f0', 'f1']);
    assert.equal(stat.per_file_truncated, true);
  });
});
