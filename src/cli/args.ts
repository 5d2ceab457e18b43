/** A command-line mistake: printed with the usage text, exit code 2. */
export class CliUsageError extends Error {}

/** The value after `name` in `args`, if the flag is there. */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new CliUsageError(`${name} needs a value`);
  return value;
}
