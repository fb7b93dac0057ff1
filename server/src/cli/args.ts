import { ErrorCode, SlayerError } from '../../../shared/src/errors';

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  options: Map<string, string | true>;
  /** Every value of an option given more than once, in order (`--variables a=1 --variables b=2`). */
  values: Map<string, string[]>;
}

/** `--name value`, `--name=value` and bare `--flag`; flags listed in `booleanFlags` never take a value. */
export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string>): ParsedArgs {
  const [command, ...rest] = argv;
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const values = new Map<string, string[]>();
  const set = (name: string, value: string): void => {
    options.set(name, value);
    values.set(name, [...(values.get(name) ?? []), value]);
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq >= 0) set(name, arg.slice(eq + 1));
    else if (booleanFlags.has(name)) options.set(name, true);
    else {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new SlayerError(ErrorCode.InvalidInput, `Option --${name} needs a value.`);
      }
      set(name, value);
      i++;
    }
  }
  return { command, positionals, options, values };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const value = stringOption(args, name);
  if (value === undefined) return fallback;
  const match = choices.find((choice) => choice === value);
  if (!match)
    throw new SlayerError(ErrorCode.InvalidInput, `--${name} must be one of ${choices.join(', ')}, got '${value}'.`);
  return match;
}
