import type { Config } from './config.ts';

/** Where the database is, as an operator would name it: a file, or host:port/database (never credentials). */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return `the SQLite file ${databaseUrl.slice('sqlite:'.length)}`;
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'the database';
  }
}

/** A driver's message without anything that looks like a URL's credentials. */
function scrub(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//<redacted>@').split('\n')[0]!.slice(0, 300);
}

/**
 * One line for a failed start that says what to do (issue #8): the address
 * that is taken (and PORTICO_PORT), or the database that cannot be reached
 * and why.
 */
export function startupFailure(err: unknown, config: Config | null): string {
  const e = err as { code?: string; kind?: string; message?: string; cause?: { message?: string; code?: string } };
  if (e?.code === 'EADDRINUSE' && config) {
    return `cannot listen on ${config.host}:${config.port}: the address is already in use (another Portico?). Stop it, or set PORTICO_PORT to a free port.`;
  }
  if (e?.code === 'EACCES' && config) return `cannot listen on ${config.host}:${config.port}: permission denied. Use a port above 1023 (PORTICO_PORT).`;
  if (e?.kind === 'storage_unavailable' && config) {
    const cause = e.cause?.message ?? e.cause?.code ?? 'no answer';
    return `failed to start: storage unavailable: cannot reach ${describeDatabase(config.databaseUrl)}: ${scrub(String(cause))}`;
  }
  return `failed to start: ${scrub(err instanceof Error ? err.message : String(err))}`;
}
