import type { Runtime } from '../bootstrap.ts';
import type { Config } from '../config.ts';
import { systemClock } from '../domain/clock.ts';
import { systemRandom } from '../domain/random.ts';
import { maskedWebhookSecret } from '../domain/webhook.ts';
import { createWebhookEndpoint, deleteWebhookEndpoint, getWebhookEndpoint } from '../management/webhooks/service.ts';
import { DELIVERY_STATUSES, inFlight, type DeliveryStatus, type WebhookDelivery } from '../storage/port/webhooks.ts';
import { CliUsageError, flag } from './args.ts';

const iso = (d: Date | null) => (d === null ? '-' : d.toISOString());

function deliveryLine(d: WebhookDelivery, now: Date): string {
  const state = inFlight(d, now) ? 'in flight' : d.status;
  const last = d.lastAttemptAt === null ? 'no attempt yet' : `last ${d.lastStatusCode ?? d.lastError ?? '?'} at ${iso(d.lastAttemptAt)}`;
  const next = d.status === 'pending' ? `next ${iso(d.nextAttemptAt)}` : `finished ${iso(d.finishedAt)}`;
  return `${d.eventId}  ${d.event}  ${state}  attempts ${d.attempts}  ${last}  ${next}`;
}

/**
 * `portico webhooks list|create|delete|deliveries|retry` (issue #13), on the
 * configured database, through the same service as the management API.
 */
export async function webhooksCommand(rt: Runtime, config: Config, sub: string | undefined, args: readonly string[]): Promise<number> {
  const deps = { storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids, random: systemRandom, endpointPolicy: { allowPrivateNetworks: config.outbound.allowPrivateNetworks } };
  const now = systemClock.now();
  switch (sub) {
    case 'list': {
      const page = await rt.storage.webhooks.listEndpoints({ limit: 100, order: 'asc' });
      if (page.data.length === 0) console.log('no webhook endpoints');
      for (const e of page.data) console.log(`${e.id}  ${e.status}  ${e.url}  ${maskedWebhookSecret(e.secretHint)}  events ${e.events.join(',')}`);
      return 0;
    }
    case 'create': {
      const url = flag(args, '--url');
      const events = flag(args, '--events');
      if (url === undefined || events === undefined) throw new CliUsageError('webhooks create needs --url and --events (comma-separated event names)');
      const { endpoint, secret } = await createWebhookEndpoint(deps, { endpoint_url: url, events: events.split(',').map((e) => e.trim()).filter((e) => e !== '') });
      console.log(`Created webhook endpoint ${endpoint.id} for ${endpoint.url}. Its signing secret is shown only this once:\n\n  ${secret}\n`);
      return 0;
    }
    case 'delete': {
      const id = args[0];
      if (id === undefined) throw new CliUsageError('webhooks delete needs an endpoint ID (see webhooks list)');
      await deleteWebhookEndpoint(deps, id);
      console.log(`deleted ${id}`);
      return 0;
    }
    case 'deliveries': {
      const id = args[0];
      if (id === undefined || id.startsWith('--')) throw new CliUsageError('webhooks deliveries needs an endpoint ID (see webhooks list)');
      await getWebhookEndpoint(deps, id);
      const eventId = flag(args, '--attempts');
      if (eventId !== undefined) {
        const attempts = await rt.storage.webhooks.listAttempts(id, eventId);
        if (attempts.length === 0) console.log(`no attempts of ${eventId} to ${id}`);
        for (const a of attempts) console.log(`#${a.attempt}  ${iso(a.at)}  ${a.statusCode ?? '-'}  ${a.error ?? ''}  ${Math.round(a.durationMs)} ms  ${a.responseExcerpt === null ? '' : JSON.stringify(a.responseExcerpt)}`);
        return 0;
      }
      const status = flag(args, '--status');
      if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) throw new CliUsageError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`);
      const limit = Number(flag(args, '--limit') ?? '50');
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliUsageError('--limit must be 1-1000');
      const rows = await rt.storage.webhooks.listDeliveries(id, { limit, ...(status !== undefined && { status: status as DeliveryStatus }) });
      if (rows.length === 0) console.log('no deliveries');
      for (const d of rows) console.log(deliveryLine(d, now));
      return 0;
    }
    case 'retry': {
      const [id, eventId] = args;
      if (id === undefined || eventId === undefined) throw new CliUsageError('webhooks retry needs an endpoint ID and an event ID (see webhooks deliveries)');
      const endpoint = await getWebhookEndpoint(deps, id);
      if (endpoint.status !== 'enabled') {
        console.error(`${id} is disabled: enable it first (PATCH /webhook_endpoints/${id} with status "enabled")`);
        return 1;
      }
      if (!(await rt.storage.webhooks.retry(id, eventId, now))) {
        console.error(`no delivery of ${eventId} to ${id} that can be retried now (unknown, or in flight)`);
        return 1;
      }
      console.log(`${eventId} to ${id}: due now, with a fresh retry window`);
      return 0;
    }
    default:
      throw new CliUsageError(`unknown webhooks command: ${sub ?? '(none)'}`);
  }
}

/** `portico secrets list [--application ID] [--expiring]` (issue #13). */
export async function secretsCommand(rt: Runtime, config: Config, sub: string | undefined, args: readonly string[]): Promise<number> {
  if (sub !== 'list') throw new CliUsageError(`unknown secrets command: ${sub ?? '(none)'}`);
  const now = systemClock.now();
  const application = flag(args, '--application');
  const expiring = args.includes('--expiring');
  if (!expiring && application === undefined) throw new CliUsageError('secrets list needs --application <id> or --expiring');
  const secrets = expiring
    ? (await rt.storage.secrets.listExpiring(new Date(now.getTime() + config.secretExpiryWarningDays * 86_400_000))).filter((s) => application === undefined || s.applicationId === application)
    : await rt.storage.secrets.listByApplication(application!);
  if (secrets.length === 0) console.log(expiring ? `no secret expires within ${config.secretExpiryWarningDays} days` : 'no secrets');
  for (const s of secrets) {
    const when = s.expiresAt === null ? 'never expires' : s.expiresAt <= now ? `expired ${s.expiresAt.toISOString()}` : `expires ${s.expiresAt.toISOString()} (in ${Math.ceil((s.expiresAt.getTime() - now.getTime()) / 86_400_000)} days)`;
    console.log(`${s.id}  ${s.applicationId}  …${s.hint}  ${when}  last used ${iso(s.lastUsedAt)}`);
  }
  return 0;
}
