/** Offsets are UTF-16 code-unit indexes into the file text, as the `yaml` package and LSP both count. */
export interface Span {
  start: number;
  end: number;
}

export interface LineCol {
  /** 0-based */
  line: number;
  /** 0-based, UTF-16 code units */
  character: number;
}

/** Maps offsets to 0-based line/character positions. Built once per text. */
export class LineIndex {
  private readonly lineStarts: number[];

  constructor(text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  /** The inverse of positionAt; a character past the line's end clamps to the next line start. */
  offsetAt(position: LineCol): number {
    const start = this.lineStarts[position.line];
    if (start === undefined) return this.lineStarts[this.lineStarts.length - 1] ?? 0;
    const next = this.lineStarts[position.line + 1];
    return next === undefined ? start + position.character : Math.min(start + position.character, next - 1);
  }

  positionAt(offset: number): LineCol {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: offset - (this.lineStarts[low] ?? 0) };
  }
}

/** Text without a leading UTF-8 byte order mark: editors and YAML parsers see the same characters. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
