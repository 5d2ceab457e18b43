/** The time source, passed in so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** ISO 8601 UTC with milliseconds, the WorkOS timestamp format. */
export function isoTimestamp(date: Date): string {
  return date.toISOString();
}
