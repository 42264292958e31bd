/**
 * Draws frames on a terminal without flicker: the alternate screen, and per frame only the lines
 * that changed since the last one (cursor moved to the line, line written, rest of it erased).
 * A resize (or `invalidate`) redraws everything once.
 */
const ESC = '\u001b[';

export class Screen {
  private previous: string[] = [];

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Enters the alternate screen and hides the cursor. */
  open(): void {
    this.out.write(`${ESC}?1049h${ESC}?25l${ESC}2J`);
    this.previous = [];
  }

  /** Forget what is on screen: the next draw writes every line. */
  invalidate(): void {
    this.out.write(`${ESC}2J`);
    this.previous = [];
  }

  /** Writes the lines that differ from the last frame (one write, so tmux sees one update). */
  draw(lines: readonly string[]): number {
    let chunk = '';
    let changed = 0;
    const height = Math.max(lines.length, this.previous.length);
    for (let i = 0; i < height; i++) {
      const line = lines[i] ?? '';
      if (this.previous[i] === line) continue;
      chunk += `${ESC}${i + 1};1H${line}\u001b[0m${ESC}K`;
      changed++;
    }
    if (chunk !== '') this.out.write(chunk);
    this.previous = [...lines];
    return changed;
  }

  /** Leaves the alternate screen and shows the cursor again. */
  close(): void {
    this.out.write(`${ESC}0m${ESC}?25h${ESC}?1049l`);
  }
}
