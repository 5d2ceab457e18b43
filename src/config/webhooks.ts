import { fail, type Setting } from './schema.ts';

/** A whole number between `min` and `max`, or the default when unset. */
function whole(name: string, raw: string | undefined, dflt: number, min: number, max: number, unit: string): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(name, `must be a whole number of ${unit} between ${min} and ${max}`, raw);
  return Number(raw);
}

/** Issue #13: webhook delivery, and the lifecycle of client secrets (expiry, its events). */
export const WEBHOOK_SETTINGS = [
  {
    key: 'webhookDelivery',
    env: ['PORTICO_WEBHOOK_DELIVERY'],
    description:
      'Whether this process delivers webhooks: `on` or `off`. Every serving process runs a delivery loop that claims due deliveries from the database (PostgreSQL `FOR UPDATE SKIP LOCKED`, the write lock on SQLite), so any number of workers and nodes share the work without sending an event twice in the normal case; `off` leaves it to the other nodes.',
    defaultText: '`on`',
    parse(raw) {
      if (raw === undefined || raw === '' || raw === 'on') return true;
      if (raw === 'off') return false;
      return fail('PORTICO_WEBHOOK_DELIVERY', 'must be on or off', raw);
    },
  } satisfies Setting<'webhookDelivery'>,
  {
    key: 'webhookConcurrency',
    env: ['PORTICO_WEBHOOK_CONCURRENCY'],
    description: 'Deliveries to one endpoint in flight at once, across every process and node (the claim counts the leased rows). 1 to 64.',
    defaultText: '`4`',
    parse: (raw) => whole('PORTICO_WEBHOOK_CONCURRENCY', raw, 4, 1, 64, 'deliveries'),
  } satisfies Setting<'webhookConcurrency'>,
  {
    key: 'webhookTimeoutSeconds',
    env: ['PORTICO_WEBHOOK_TIMEOUT_SECONDS'],
    description:
      'Seconds an endpoint has to answer a delivery completely; slower is a failed attempt, retried later. A claimed delivery is leased for this plus 10 s, so a process that dies mid-send is replaced after that (the event may then arrive twice: deliveries are at least once).',
    defaultText: '`10`',
    parse: (raw) => whole('PORTICO_WEBHOOK_TIMEOUT_SECONDS', raw, 10, 1, 60, 'seconds'),
  } satisfies Setting<'webhookTimeoutSeconds'>,
  {
    key: 'webhookPollMs',
    env: ['PORTICO_WEBHOOK_POLL_INTERVAL_MS'],
    description: 'How often each process looks for due deliveries, in milliseconds (an idle look is one indexed read, no write).',
    defaultText: '`1000`',
    parse: (raw) => whole('PORTICO_WEBHOOK_POLL_INTERVAL_MS', raw, 1000, 20, 60_000, 'milliseconds'),
  } satisfies Setting<'webhookPollMs'>,
  {
    key: 'webhookRetentionDays',
    env: ['PORTICO_WEBHOOK_RETENTION_DAYS'],
    description: 'Days a finished delivery (delivered, failed after its ~3 days of retries, or skipped) and its attempts are kept for `portico webhooks deliveries` before housekeeping deletes them. The events themselves stay in `GET /events`.',
    defaultText: '`30`',
    parse: (raw) => whole('PORTICO_WEBHOOK_RETENTION_DAYS', raw, 30, 1, 3650, 'days'),
  } satisfies Setting<'webhookRetentionDays'>,
  {
    key: 'secretExpiryWarningDays',
    env: ['PORTICO_SECRET_EXPIRY_WARNING_DAYS'],
    description:
      'Days before a client secret expires that the `connect_application_secret.expiring` event is emitted (once per secret, at once for a secret created closer to its expiry), and the window `portico secrets list --expiring` shows. 0 to 365.',
    defaultText: '`14`',
    parse: (raw) => whole('PORTICO_SECRET_EXPIRY_WARNING_DAYS', raw, 14, 0, 365, 'days'),
  } satisfies Setting<'secretExpiryWarningDays'>,
  {
    key: 'secretMaxLifetimeDays',
    env: ['PORTICO_SECRET_MAX_LIFETIME_DAYS'],
    description:
      'The longest lifetime of a new client secret, in days. Unset: secrets live until deleted unless created with `expires_at` / `expires_in`. Set: a secret created without an expiry expires after this many days, and a longer one is refused (`422 expires_at_too_late`). Secrets created before it was set keep their expiry.',
    defaultText: 'none',
    parse: (raw) => (raw === undefined || raw === '' ? null : whole('PORTICO_SECRET_MAX_LIFETIME_DAYS', raw, 0, 1, 36_500, 'days')),
  } satisfies Setting<'secretMaxLifetimeDays'>,
] as const;
