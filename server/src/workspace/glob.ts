/**
 * A small glob matcher for exclude settings (`**`, `*`, `?`). Enough for
 * folder patterns; avoids a dependency on the server path.
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      pattern += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (ch === '*') pattern += '[^/]*';
    else if (ch === '?') pattern += '[^/]';
    else pattern += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

export class PathMatcher {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.map(globToRegExp);
  }

  /** True when the path, or the path as a folder (with a trailing slash), matches a pattern. */
  matches(path: string): boolean {
    const normalized = path.replace(/\\/g, '/');
    return this.patterns.some((re) => re.test(normalized) || re.test(`${normalized}/`));
  }
}
