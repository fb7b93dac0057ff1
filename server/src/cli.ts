import { isSlayerError, toSlayerError } from '../../shared/src/errors';
import { parseArgs } from './cli/args';
import { runCheck } from './cli/check';
import { runFormat } from './cli/format';
import { runInspectCommand } from './cli/inspect';
import { runQueryCommand } from './cli/query';
import { runColumnTypesCommand, runRefreshSamplesCommand, runShowCommand } from './cli/model-verbs';
import { runSaveModelCommand } from './cli/save-model';
import { startServer } from './server';

const USAGE = `slayer-ls: the SLayer Studio engine, headless.

Usage:
  slayer-ls check [--storage DIR] [--format text|json]   Check every model, datasource and query file under DIR
  slayer-ls format [--check] [PATH...]                   Format SLayer files (folders: every SLayer file in them);
                                                        --check lists the unformatted ones and changes nothing
  slayer-ls query '<json>' | @query.json | @file.query.yaml | MODEL
            [--storage DIR] [--variables JSON|k=v,...] [--format table|json|csv] [--out FILE] [--dry-run]
                                                        Run a SLayer query (--dry-run prints the SQL); csv is
                                                        RFC 4180 (NULL empty, "" for an empty string); --out
                                                        writes to FILE instead of stdout
  query and inspect refresh engine-managed caches through a revision-checked patch; --no-write-back turns it off.
  slayer-ls save-model NAME '<json>' | @file [--no-save] [--storage DIR]
  slayer-ls save-model --file model.yaml [--no-save] [--storage DIR]
                                                        SLayer's create_model_from_query / save_model: validate,
                                                        fill a query-backed model's cache, save; prints the model
  slayer-ls show MODEL [--storage DIR]                  The stored model as JSON (SLayer's get_model)
  slayer-ls column-types MODEL [--storage DIR]          {column: number|string|time|boolean} (get_column_types)
  slayer-ls refresh-samples [MODEL...] [--storage DIR]  Re-profile table models and write their samples
  slayer-ls inspect MODEL [--storage DIR] [--format table|json]
                                                        Columns, measures, joins, row count and sample values
  slayer-ls serve --stdio                               Run the language server over stdio
  slayer-ls --version | --help

check exits 1 when there are errors, 0 otherwise; query exits 1 when the query fails; both exit 2 on bad usage.
format exits 1 when --check finds an unformatted file or a file has YAML errors, 2 on bad usage.
`;

const BOOLEAN_FLAGS = new Set(['stdio', 'help', 'version', 'node-ipc', 'dry-run', 'no-write-back', 'check', 'no-save']);

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  if (args.options.has('version') || args.command === '--version') {
    process.stdout.write('slayer-ls 0.1.0\n');
    return 0;
  }
  switch (args.command) {
    case 'check':
      return runCheck(args, process.stdout, process.stderr);
    case 'format':
      return runFormat(args, process.stdout, process.stderr);
    case 'query':
      return runQueryCommand(args, process.stdout, process.stderr);
    case 'save-model':
      return runSaveModelCommand(args, process.stdout, process.stderr);
    case 'inspect':
      return runInspectCommand(args, process.stdout, process.stderr);
    case 'show':
      return runShowCommand(args, process.stdout, process.stderr);
    case 'column-types':
      return runColumnTypesCommand(args, process.stdout, process.stderr);
    case 'refresh-samples':
      return runRefreshSamplesCommand(args, process.stdout, process.stderr);
    case 'serve':
      startServer();
      return -1;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return args.command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command '${args.command}'.\n\n${USAGE}`);
      return 2;
  }
}

/** Runs one CLI command on `argv` (the arguments after the script's path) and sets the process's exit code. */
export function runCli(argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (error: unknown) => {
      const slayerError = toSlayerError(error);
      process.stderr.write(`slayer-ls: ${slayerError.message}\n`);
      process.exitCode = isSlayerError(error) ? 2 : 70;
    },
  );
}
