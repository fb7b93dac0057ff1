/**
 * Writes the formatter's tree back as text, line by line: block style, two
 * spaces per level, lists indented under their key, one space after `:` and
 * `-`. Leaves keep their source text; only the indentation of their
 * continuation lines changes, which YAML does not count as part of a value.
 */
import { isCollection, type BlockLeaf, type Collection, type Entry, type FlowLeaf, type GapLine } from './tree';

const STEP = 2;

interface GapOptions {
  /** Blank lines before the first comment are dropped (a block never opens with a blank line). */
  dropLeadingBlanks: boolean;
  /** One blank line after the last comment is kept (it separates a comment block from the key below). */
  keepLastBlank: boolean;
}

/** The output lines; a blank line is refused right after a `|+` scalar, whose value would swallow it. */
class Lines {
  readonly lines: string[] = [];
  private afterKeptScalar = false;

  push(...lines: string[]): void {
    this.lines.push(...lines);
    if (lines.length > 0) this.afterKeptScalar = false;
  }

  blank(): void {
    if (!this.afterKeptScalar) this.lines.push('');
  }

  /** Lines of a block scalar; under `+` its last lines may be empty, and are its own. */
  pushScalar(lines: readonly string[], keep: boolean): void {
    this.lines.push(...lines);
    this.afterKeptScalar ||= keep;
  }

  /** Lines written to another buffer, continuing this one. */
  append(other: Lines, from: number): void {
    this.lines.push(...other.lines.slice(from));
    if (other.lines.length > from) this.afterKeptScalar = other.afterKeptScalar;
  }
}

export function emitDocument(header: readonly GapLine[], root: Collection | undefined): string[] {
  const out = new Lines();
  emitGap(header, 0, { dropLeadingBlanks: true, keepLastBlank: true }, out);
  if (root) emitCollection(root, 0, out);
  return out.lines;
}

function pad(column: number): string {
  return ' '.repeat(column);
}

/** Comment and blank lines; runs of blank lines become one. */
function emitGap(lines: readonly GapLine[], column: number, options: GapOptions, out: Lines): void {
  let atStart = options.dropLeadingBlanks;
  let pendingBlank = false;
  for (const line of lines) {
    if (line.kind === 'blank') {
      pendingBlank = !atStart;
      continue;
    }
    if (pendingBlank) out.blank();
    pendingBlank = false;
    atStart = false;
    out.push(line.kind === 'comment' ? pad(column) + line.text : line.text);
  }
  if (pendingBlank && options.keepLastBlank) out.blank();
}

function emitCollection(collection: Collection, column: number, out: Lines): void {
  collection.entries.forEach((entry, i) => {
    emitGap(entry.leading, column, { dropLeadingBlanks: i === 0, keepLastBlank: true }, out);
    const head = entry.key ? `${pad(column)}${[...entry.key.props, entry.key.text].join(' ')}:` : `${pad(column)}-`;
    emitValue(entry, head, column, out);
  });
  emitGap(collection.trailing, column, { dropLeadingBlanks: false, keepLastBlank: false }, out);
}

function emitValue(entry: Entry, head: string, column: number, out: Lines): void {
  const props = entry.props.map((prop) => ` ${prop}`).join('');
  const value = entry.value;
  if (value === undefined) {
    out.push(head + props + entry.headerComment);
  } else if (isCollection(value)) {
    if (!entry.key && props === '' && entry.headerComment === '') emitCompact(head, value, column, out);
    else {
      out.push(head + props + entry.headerComment);
      emitCollection(value, column + STEP, out);
    }
  } else if (value.kind === 'block') {
    out.push(`${head}${props} ${value.header}${value.comment}`);
    emitBlockLines(value, column, out);
  } else if (entry.headerComment !== '' || entry.valueLeading.some((line) => line.kind === 'comment')) {
    // The value stays below its comments, as written.
    out.push(head + props + entry.headerComment);
    emitGap(entry.valueLeading, column + STEP, { dropLeadingBlanks: true, keepLastBlank: false }, out);
    emitFlowLeaf(pad(column + STEP), value, column, out);
  } else {
    emitFlowLeaf(`${head}${props} `, value, column, out);
  }
}

/**
 * `- key: value`: a list item's block starts on the dash's line. Comments
 * that sat above its first key move above the dash, where they read the same.
 */
function emitCompact(head: string, value: Collection, column: number, out: Lines): void {
  const inner = new Lines();
  emitCollection(value, column + STEP, inner);
  const first = inner.lines.findIndex((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  for (const line of inner.lines.slice(0, first)) {
    if (line === '') out.blank();
    else out.push(pad(column) + line.trimStart());
  }
  out.push(`${head} ${(inner.lines[first] ?? '').slice(column + STEP)}`);
  out.append(inner, first + 1);
}

/**
 * Continuation lines of a multi-line scalar or flow collection: their leading
 * white space is not part of the value, so they are re-indented one step in
 * (a closing bracket may sit at the entry's own column).
 */
function emitFlowLeaf(prefix: string, leaf: FlowLeaf, column: number, out: Lines): void {
  const [first = '', ...rest] = leaf.lines;
  const lines = [prefix + first];
  rest.forEach((line, i) => {
    const text = line.replace(/^[ \t]+/, '');
    const closing = leaf.bracketed && i === rest.length - 1 && /^[\]}]/.test(text);
    lines.push(text === '' ? '' : pad(closing ? column : column + STEP) + text);
  });
  lines[lines.length - 1] += leaf.comment;
  out.push(...lines);
}

/**
 * Block scalar content moves as one piece, so every line keeps its spaces
 * beyond the content indentation (they are part of the value). Without an
 * indentation indicator the content goes one step in; with one, it keeps its
 * distance from the entry, which is what the indicator means.
 */
function emitBlockLines(leaf: BlockLeaf, column: number, out: Lines): void {
  const target = leaf.explicit ? column + (leaf.indent - leaf.base) : column + STEP;
  const shift = target - leaf.indent;
  const lines = leaf.lines.map((line) => {
    const spaces = /^ */.exec(line)?.[0].length ?? 0;
    if (spaces === line.length && spaces <= leaf.indent) return '';
    return shift >= 0 ? pad(shift) + line : line.slice(Math.min(-shift, spaces));
  });
  out.pushScalar(lines, leaf.header.includes('+'));
}
