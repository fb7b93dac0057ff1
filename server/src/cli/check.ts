import * as path from 'node:path';
import { LineIndex } from '../engine/schema/source';
import { loadStorage } from './storage';
import { choiceOption, stringOption, type ParsedArgs } from './args';

export interface CheckedProblem {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export interface CheckReport {
  roots: string[];
  files: number;
  errors: number;
  warnings: number;
  problems: CheckedProblem[];
}

/** Checks every SLayer file under a folder, exactly as the language server does. */
export async function checkStorage(folder: string): Promise<CheckReport> {
  const { index, discovered } = await loadStorage(folder);
  const problems: CheckedProblem[] = [];
  for (const state of index.allFiles()) {
    const lines = new LineIndex(state.parsed.text);
    for (const problem of state.problems) {
      const start = lines.positionAt(problem.span.start);
      const end = lines.positionAt(problem.span.end);
      problems.push({
        path: state.path,
        line: start.line + 1,
        column: start.character + 1,
        endLine: end.line + 1,
        endColumn: end.character + 1,
        severity: problem.severity,
        code: problem.code,
        message: problem.message,
      });
    }
  }
  problems.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column);
  return {
    roots: discovered.roots,
    files: discovered.files.length,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
    problems,
  };
}

export async function runCheck(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
  const folder = stringOption(args, 'storage') ?? args.positionals[0] ?? '.';
  const report = await checkStorage(folder);
  if (format === 'json') {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const problem of report.problems) {
      out.write(
        `${displayPath(problem.path)}:${problem.line}:${problem.column} ${problem.severity} ${problem.message} [${problem.code}]\n`,
      );
    }
    if (report.roots.length === 0)
      err.write(`No SLayer storage root (a folder holding models/) found under ${folder}.\n`);
    err.write(
      `${report.files} files in ${report.roots.length} storage root(s): ${report.errors} errors, ${report.warnings} warnings.\n`,
    );
  }
  return report.errors > 0 ? 1 : 0;
}

/** A path relative to the working directory when it is under it, as compilers print them. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
