import Fastify, { type FastifyInstance } from 'fastify';
import { configuredOutbound, type OutboundFetch } from './outbound/fetch.ts';
import { isLoopbackUrl, type Config } from './config.ts';
import type { Clock } from './domain/clock.ts';
import { ID_PREFIX, type IdGenerator } from './domain/ids.ts';
import type { Keyring } from './domain/keyring.ts';
import { systemRandom, type Random } from './domain/random.ts';
import { healthRoutes } from './http/health.ts';
import { registerJsonParser } from './http/json-parser.ts';
import { parseQuery, requestGuards } from './http/request-errors.ts';
import { notFoundHandler, routeIndex } from './http/routes-index.ts';
import { metricsRoutes, type Metrics, type MetricsSnapshot } from './http/metrics.ts';
import { managementErrorHandler } from './management/errors.ts';
import { managementPlugin } from './management/plugin.ts';
import type { KeyStore } from './oauth/keys/key-store.ts';
import { oauthPlugin } from './oauth/plugin.ts';
import { signingKeyAdmin } from './oauth/keys/rotation.ts';
import { FailureLog } from './oauth/throttle.ts';
import { devLoginOffPlugin, devLoginPlugin } from './pages/dev-login.ts';
import { brandOf, createPages } from './pages/kit.ts';
import { injectedApi } from './dashboard/api.ts';
import { dashboardPlugin } from './dashboard/plugin.ts';
import type { Storage } from './storage/port.ts';

export interface AppDeps {
  readonly config: Config;
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Signing keys, already loaded (KeyStore.refresh) by the caller. */
  readonly keys: KeyStore;
  readonly metrics: Metrics;
  readonly environmentClientId: string;
  /** Gathers metrics of every process (cluster); defaults to this process's. */
  readonly collectMetrics?: () => Promise<MetricsSnapshot>;
  /** node:cluster worker ID of this process (0 without workers), a metrics label. */
  readonly workerId?: number;
  /** The CSPRNG; tests may pin it. */
  readonly random?: Random;
  /** Outbound HTTP under the configured policy; built from the configuration when not given. */
  readonly outbound?: OutboundFetch;
}

/** Paths (or parts of bodies) that must never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  '*.secret',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.token',
];

/** PORTICO_TRUST_PROXY as Fastify takes it: a hop count becomes "trust the first N hops". */
function trustProxyOption(setting: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return [...setting];
}

/**
 * Where `/metrics` is served on the public port: nowhere when it has a port of its own
 * (PORTICO_METRICS_PORT), behind the token when one is set, openly only for a loopback issuer.
 */
function publicMetrics(config: Config): { token: string | null } | null {
  if (config.metrics.port !== null) return null;
  if (config.metrics.token !== null) return { token: config.metrics.token };
  return isLoopbackUrl(config.issuer) ? { token: null } : null;
}

/** Builds the HTTP application; performs no I/O until it is asked to listen. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const timeoutMs = deps.config.requestTimeoutSeconds * 1000;
  const app = Fastify({
    logger: {
      level: deps.config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        // The path only: query strings can carry codes and state.
        req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], ip: req.ip }),
      },
    },
    genReqId: () => deps.ids.random(ID_PREFIX.request),
    requestIdHeader: false,
    bodyLimit: 256 * 1024,
    // Behind a reverse proxy, request.ip is the client's address only if the proxy is trusted (issue #7).
    trustProxy: trustProxyOption(deps.config.trustProxy),
    return503OnClosing: true,
    // Issue #8: a request whose head and body have not arrived within the timeout is answered 408 and
    // closed (Node's own timer; its connection check runs every second so the bound holds in seconds,
    // not Node's default 30 s). Incomplete headers time out after at most 60 s, idle keep-alive after 72 s.
    requestTimeout: timeoutMs,
    http: { requestTimeout: timeoutMs, headersTimeout: Math.min(60_000, timeoutMs), connectionsCheckingInterval: Math.min(1000, timeoutMs / 2) },
    routerOptions: { maxParamLength: 500, ignoreTrailingSlash: true, querystringParser: parseQuery },
  });
  // Past the cap Node closes new connections as soon as they are accepted; established ones go on (issue #8).
  app.server.maxConnections = deps.config.maxConnections;
  const allowedMethods = routeIndex(app);
  // Issue #14: one layout, stylesheet and CSP for every page, with the company's brand.
  const pages = createPages(brandOf(deps.config), deps.config.scopeDescriptions);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  requestGuards(app);
  registerJsonParser(app);
  app.setErrorHandler(managementErrorHandler);
  app.setNotFoundHandler(notFoundHandler(allowedMethods, pages));
  pages.routes(app);

  healthRoutes(app, deps.storage);
  metricsRoutes(app, deps.metrics, deps.collectMetrics ?? (async () => deps.metrics.snapshot()), publicMetrics(deps.config), deps.workerId);
  const failures = new FailureLog(deps.storage, deps.clock, deps.ids, (err) => app.log.warn({ err }, 'could not record failed client authentications'));
  // Written before the storage closes (main.ts closes the app first).
  app.addHook('onClose', async () => failures.flush());
  const random = deps.random ?? systemRandom;
  const outbound = deps.outbound ?? configuredOutbound(deps.config.outbound);
  await app.register(oauthPlugin, { ...deps, random, outbound, failures, pages, warn: (err: unknown, message: string) => app.log.warn({ err }, message) });
  const managementDeps = {
    random,
    storage: deps.storage,
    keyring: deps.keyring,
    clock: deps.clock,
    ids: deps.ids,
    configuredApiKey: deps.config.apiKey,
    issuer: deps.config.issuer,
    signingKeys: signingKeyAdmin(deps, deps.keys),
    endpointPolicy: { allowPrivateNetworks: deps.config.outbound.allowPrivateNetworks },
    secretMaxLifetimeDays: deps.config.secretMaxLifetimeDays,
  };
  await app.register(managementPlugin, managementDeps);
  // Issue #14: the operators' dashboard, which reaches data only through the management API, in-process.
  await app.register(dashboardPlugin, { ...managementDeps, pages, api: injectedApi(app) });
  // The development login exists only where nothing else logs users in: with PORTICO_LOGIN_URL set it
  // would let anyone bypass the company's login (and the API key of the complete call); on a public
  // issuer it would let anyone sign in as anyone (issue #7: on only for loopback issuers, or when forced).
  if (deps.config.devLogin.enabled) await app.register(devLoginPlugin, { ...managementDeps, pages });
  else if (deps.config.loginUrl === null) await app.register(devLoginOffPlugin, { production: deps.config.production, pages });
  return app;
}
