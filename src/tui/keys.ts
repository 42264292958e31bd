/**
 * Splits what a terminal sent in one read into keys: CSI sequences (`ESC [ … final`), SS3
 * sequences (`ESC O x`), a lone ESC, and single characters. Arrows arrive as `ESC [ A` or `ESC O A`
 * (application cursor mode); both are normalized to the CSI form.
 */
export const splitKeys = (data: string): string[] => {
  const keys: string[] = [];
  let i = 0;
  while (i < data.length) {
    const ch = data[i] as string;
    if (ch === '\u001b' && data[i + 1] === '[') {
      let j = i + 2;
      while (j < data.length && !/[\u0040-\u007e]/.test(data[j] as string)) j++;
      keys.push(data.slice(i, j + 1));
      i = j + 1;
    } else if (ch === '\u001b' && data[i + 1] === 'O' && i + 2 < data.length) {
      keys.push(`\u001b[${data[i + 2] as string}`);
      i += 3;
    } else {
      const code = data.codePointAt(i) as number;
      const char = String.fromCodePoint(code);
      keys.push(char);
      i += char.length;
    }
  }
  return keys;
};
