/**
 * The edits that turn one text into another, line by line (Myers' diff), so
 * an editor applying them moves only the lines that changed and keeps the
 * cursor, folding and undo history of the rest.
 */

/** Replace [start, end) of the old text (UTF-16 offsets) with `newText`. */
export interface TextSpanEdit {
  start: number;
  end: number;
  newText: string;
}

/** Beyond this many differing lines the diff would cost too much; one edit replaces the changed middle. */
const MAX_EDIT_DISTANCE = 1000;

export function lineEdits(before: string, after: string): TextSpanEdit[] {
  if (before === after) return [];
  const a = linesWithBreaks(before);
  const b = linesWithBreaks(after);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  )
    suffix++;
  const midA = a.slice(prefix, a.length - suffix);
  const midB = b.slice(prefix, b.length - suffix);
  const matches = commonLines(midA, midB) ?? [];
  const starts = lineStarts(a);
  const hunks: TextSpanEdit[] = [];
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matches, [midA.length, midB.length] as const]) {
    if (mi > i || mj > j) {
      hunks.push({
        start: starts[prefix + i] ?? before.length,
        end: starts[prefix + mi] ?? before.length,
        newText: midB.slice(j, mj).join(''),
      });
    }
    i = mi + 1;
    j = mj + 1;
  }
  return hunks;
}

/** Lines with their line break (`\n` or `\r\n`) attached, so joining them gives the text back. */
function linesWithBreaks(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Offsets of each line's start, plus the text's end. */
function lineStarts(lines: readonly string[]): number[] {
  const starts = [0];
  for (const line of lines) starts.push((starts[starts.length - 1] ?? 0) + line.length);
  return starts;
}

/**
 * The pairs of equal lines a shortest edit script keeps, in order; undefined
 * when the texts differ in more than MAX_EDIT_DISTANCE lines.
 */
function commonLines(a: readonly string[], b: readonly string[]): [number, number][] | undefined {
  const trace = forwardTrace(a, b);
  if (!trace) return undefined;
  const matches: [number, number][] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d];
    if (!v) break;
    const k = x - y;
    const previousK = k === -d || (k !== d && v.at(k - 1) < v.at(k + 1)) ? k + 1 : k - 1;
    const previousX = v.at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) matches.push([--x, --y]);
    if (d > 0) {
      x = previousX;
      y = previousY;
    }
  }
  return matches.reverse();
}

/** The furthest-reaching x per diagonal k, as it stood before each step d (indexes -d-1..d+1). */
class Diagonals {
  constructor(
    private readonly values: Int32Array,
    private readonly origin: number,
  ) {}

  at(k: number): number {
    return this.values[this.origin + k] ?? 0;
  }
}

function forwardTrace(a: readonly string[], b: readonly string[]): Diagonals[] | undefined {
  const max = Math.min(a.length + b.length, MAX_EDIT_DISTANCE);
  const origin = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Diagonals[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(new Diagonals(v.slice(origin - d - 1, origin + d + 2), d + 1));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[origin + k - 1] ?? 0) < (v[origin + k + 1] ?? 0));
      let x = down ? (v[origin + k + 1] ?? 0) : (v[origin + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      v[origin + k] = x;
      if (x >= a.length && y >= b.length) return trace;
    }
  }
  return undefined;
}
