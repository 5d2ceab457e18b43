import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from './config.ts';
import { systemClock } from './domain/clock.ts';
import { createIdGenerator, type IdGenerator } from './domain/ids.ts';
import { Keyring } from './domain/keyring.ts';
import { SYSTEM_CONTEXT } from './domain/audit.ts';
import { ID_PREFIX } from './domain/ids.ts';
import { createApiKey } from './management/api-keys.ts';
import { ensureSigningKey } from './oauth/keys/rotation.ts';
import type { Storage } from './storage/port.ts';
import { openStorage } from './storage/sql/store.ts';

/** Where the generated server key lives on the embedded default: next to the database file. */
export function serverKeyPath(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('sqlite:')) return null;
  const path = databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? null : join(dirname(path), 'secret.key');
}

/**
 * The server key: PORTICO_SECRET_KEY, else (SQLite only) the key file,
 * generated on first start with mode 0600. An in-memory database gets a key
 * that lives as long as the process.
 */
export function resolveServerKey(config: Config): { keyring: Keyring; generatedAt: string | null } {
  if (config.secretKey !== null) return { keyring: new Keyring(Buffer.from(config.secretKey, 'utf8')), generatedAt: null };
  const path = serverKeyPath(config.databaseUrl);
  if (path === null) return { keyring: new Keyring(randomBytes(32)), generatedAt: null };
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (text.length < 32) throw new Error(`${path} is not a valid server key (too short)`);
    return { keyring: new Keyring(Buffer.from(text, 'utf8')), generatedAt: null };
  }
  mkdirSync(dirname(path), { recursive: true });
  // 'wx': never overwrite a key another process just wrote.
  writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { ...resolveServerKey(config), generatedAt: path };
}

export interface Runtime {
  readonly config: Config;
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly ids: IdGenerator;
  readonly generatedKeyPath: string | null;
}

/**
 * The environment's client ID (`aud` of tokens without a resource):
 * PORTICO_CLIENT_ID, else generated once and stored, so every node agrees.
 */
export async function environmentClientId(rt: Runtime): Promise<string> {
  if (rt.config.clientId !== null) return rt.config.clientId;
  return rt.storage.settings.putIfAbsent('environment_client_id', rt.ids(ID_PREFIX.clientId));
}

/** One-time preparation before serving: a signing key exists for the configured algorithm. */
export async function prepareServer(rt: Runtime): Promise<void> {
  await ensureSigningKey({ ...rt, clock: systemClock }, SYSTEM_CONTEXT);
}

/** Opens storage (migrating it) with the server key: what the server and the CLI share. */
export async function openRuntime(config: Config): Promise<Runtime> {
  const { keyring, generatedAt } = resolveServerKey(config);
  const storage = openStorage({ url: config.databaseUrl });
  try {
    await storage.migrate();
  } catch (err) {
    await storage.close();
    throw err;
  }
  return { config, storage, keyring, ids: createIdGenerator(), generatedKeyPath: generatedAt };
}

/**
 * On first start (no live stored key and no PORTICO_API_KEY), creates the
 * admin API key and returns its plaintext, to be printed exactly once.
 */
export async function ensureAdminApiKey(rt: Runtime): Promise<string | null> {
  if (rt.config.apiKey !== null) return null;
  if ((await rt.storage.apiKeys.countLive()) > 0) return null;
  const { plaintext } = await createApiKey({ storage: rt.storage, keyring: rt.keyring, clock: systemClock, ids: rt.ids }, 'admin', SYSTEM_CONTEXT);
  return plaintext;
}
