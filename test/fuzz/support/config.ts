// Issue #9 (item 7): the settings the fuzz suites of issues #2, #3 and #4 each declared on their own.

/**
 * Runs per property: PORTICO_FUZZ_RUNS overrides every suite's default, as it
 * did in each suite before. There is no seed setting: fast-check draws a seed
 * per property and prints it (and the replay path) with a counterexample.
 */
export function fuzzRuns(defaultRuns: number): number {
  return Number(process.env.PORTICO_FUZZ_RUNS ?? defaultRuns);
}

/** Every request a fuzz suite sends, generated or not, must be answered within this (else: a hang). */
export const REQUEST_TIMEOUT_MS = 5_000;
/** The form parser's bodyLimit (src/oauth/form.ts). */
export const FORM_LIMIT = 64 * 1024;
export const FORM = 'application/x-www-form-urlencoded';
/** How long closing a server may take before the suite reports it (and does not wait for it any longer). */
export const CLOSE_TIMEOUT_MS = 15_000;
/** A generous bound on seeding, so that a run that stops making progress fails instead of hanging the process. */
export const SETUP_TIMEOUT_MS = 120_000;
