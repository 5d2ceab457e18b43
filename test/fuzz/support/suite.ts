// Issue #9 (item 7): how a fuzz suite runs a property and holds its server (issues #2, #3, #4 each had a copy).
import { it } from 'node:test';
import fc from 'fast-check';
import type { Dialect } from '../../support/databases.ts';
import { startServer, type TestServer, type TestServerOptions } from '../../support/server.ts';
import { CLOSE_TIMEOUT_MS } from './config.ts';
import { withDeadline } from './harness.ts';

export interface FuzzProperty<T> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /**
   * Fixed cases fast-check runs first. They are runs of the property: they
   * take the first of its `runs` slots (fast-check yields them, then random
   * values, and takes `runs` in all).
   */
  readonly examples: readonly T[];
  readonly runs: number;
  /** The test's timeout (none when absent). */
  readonly timeout?: number;
  /** Sends one case and asserts the oracle's answer. */
  readonly check: (value: T) => Promise<void>;
  /** Resets what the diagnostics count, before the runs. */
  readonly reset: () => void;
  /** Lines reported after the runs (statuses met, answers seen, objects replaced). */
  readonly diagnostics: () => readonly string[];
}

/** One test: `runs` runs of the property, then its diagnostics. */
export function fuzzProperty<T>(p: FuzzProperty<T>): void {
  it(p.name, p.timeout === undefined ? {} : { timeout: p.timeout }, async (t) => {
    p.reset();
    await fc.assert(fc.asyncProperty(p.arbitrary, p.check), { numRuns: p.runs, examples: p.examples.map((e) => [e] as [T]) });
    for (const line of p.diagnostics()) t.diagnostic(line);
  });
}

/**
 * Starts a server and seeds it. A failed seeding closes what was started (the
 * listening server, its database, the key refresh timer), else the process
 * never exits.
 */
export async function startSeeded<W>(dialect: Dialect, options: TestServerOptions, seedWorld: (server: TestServer) => Promise<W>): Promise<{ server: TestServer; world: W }> {
  const server = await startServer(dialect, options);
  try {
    return { server, world: await seedWorld(server) };
  } catch (err) {
    await closeWithin(server, CLOSE_TIMEOUT_MS, `closing the ${dialect} server`).catch((closeErr: unknown) => process.stderr.write(`# ${String(closeErr)}\n`));
    throw err;
  }
}

/** Closes `server`, reporting (and no longer waiting for) a close that takes longer than `ms`. */
export function closeWithin(server: TestServer, ms: number, what: string): Promise<void> {
  return withDeadline(server.close(), ms, what);
}
