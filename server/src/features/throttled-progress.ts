import type { WorkDoneProgressReporter } from 'vscode-languageserver/node';

/**
 * A progress reporter that passes on at most one report per `intervalMs`.
 * Indexing reports after every batch of files; each report is a message the
 * client must read while the server waits on the pipe, and at start-up 40 of
 * them cost more than the reader of the bar can see. `done` always passes.
 */
export function throttled(
  reporter: WorkDoneProgressReporter,
  intervalMs: number,
  clock: () => number = () => performance.now(),
): WorkDoneProgressReporter {
  let last = Number.NEGATIVE_INFINITY;
  const due = (): boolean => {
    const now = clock();
    if (now - last < intervalMs) return false;
    last = now;
    return true;
  };
  return {
    begin: (title, percentage, message, cancellable) => reporter.begin(title, percentage, message, cancellable),
    report: (first: number | string, message?: string): void => {
      if (!due()) return;
      if (typeof first === 'string') reporter.report(first);
      else if (message === undefined) reporter.report(first);
      else reporter.report(first, message);
    },
    done: () => reporter.done(),
  };
}
