import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { errorMessage } from './output.ts';

/** Flag parsing shared by the benchmarks: strict, no positionals, a usage line on every mistake. */
export interface Cli {
  /** Prints `message` and the usage line to stderr and exits (2 unless told). */
  usage(message: string, code?: number): never;
  /**
   * The values of the `--name <value>` flags in `strings` and the `--name`
   * switches in `booleans` (and --help / -h); a usage message and exit code 2
   * on an unknown or malformed flag.
   */
  parse<const S extends string, const B extends string = never>(strings: readonly S[], booleans?: readonly B[]): { [K in S]?: string } & { [K in B | 'help']?: boolean };
  /** A whole number >= `min` (default 1), or `fallback` when the flag is absent. */
  integer(raw: string | undefined, name: string, fallback: number, min?: number): number;
}

export function cli(usageLine: string): Cli {
  const usage = (message: string, code = 2): never => {
    process.stderr.write(`${message}\n${usageLine}\n`);
    process.exit(code);
  };
  return {
    usage,
    parse<S extends string, B extends string>(strings: readonly S[], booleans: readonly B[] = []) {
      const options: ParseArgsOptionsConfig = { help: { type: 'boolean', short: 'h' } };
      for (const name of strings) options[name] = { type: 'string' };
      for (const name of booleans) options[name] = { type: 'boolean' };
      try {
        return parseArgs({ options, strict: true, allowPositionals: false }).values as { [K in S]?: string } & { [K in B | 'help']?: boolean };
      } catch (err) {
        return usage(errorMessage(err));
      }
    },
    integer(raw, name, fallback, min = 1) {
      if (raw === undefined) return fallback;
      if (!/^\d+$/.test(raw) || Number(raw) < min) usage(`--${name} must be an integer >= ${min} (got "${raw}")`);
      return Number(raw);
    },
  };
}
