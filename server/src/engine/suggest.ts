import type { NameSuggestion } from './schema/problems';

/** Nearest valid name for "did you mean" hints; undefined when nothing is close enough to help. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  const limit = name.length <= 3 ? 1 : Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** " Did you mean 'x'?" for a message, and the same as a quick fix the problem carries. */
export function suggestName(name: string, candidates: Iterable<string>): { hint: string; suggestion?: NameSuggestion } {
  const best = closestName(name, candidates);
  return best ? { hint: ` Did you mean '${best}'?`, suggestion: { wrong: name, replacements: [best] } } : { hint: '' };
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? Infinity;
}
