import { BRAND_SETTINGS } from './config/brand.ts';
import { CLIENT_SETTINGS } from './config/clients.ts';
import { OAUTH_SETTINGS } from './config/oauth.ts';
import type { Config, Env } from './config/schema.ts';
import { SERVER_SETTINGS } from './config/server.ts';
import { SIGNIN_SETTINGS } from './config/signin.ts';
import { WEBHOOK_SETTINGS } from './config/webhooks.ts';

export { ConfigError, isLoopbackUrl, type Config } from './config/schema.ts';

/**
 * Portico's configuration: one schema of environment variables, parsed once at
 * start, frozen, and passed down. `docs/configuration.md` is generated from
 * the settings' descriptions (`npm run docs:config`).
 *
 * The schema, in the order settings are parsed (later ones may depend on earlier ones: the issuer on the
 * port, the development login on the issuer and the login URL). One module per area under src/config/.
 */
export const SETTINGS = [...SERVER_SETTINGS, ...OAUTH_SETTINGS, ...SIGNIN_SETTINGS, ...CLIENT_SETTINGS, ...WEBHOOK_SETTINGS, ...BRAND_SETTINGS] as const;

/** Parses and validates the environment; throws ConfigError with one readable line. */
export function loadConfig(env: Env = process.env): Config {
  const partial: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const name = setting.env.find((n) => env[n] !== undefined);
    const raw = name === undefined ? undefined : env[name];
    partial[setting.key] = (setting.parse as (r: string | undefined, e: Env, p: Partial<Config>) => unknown)(raw, env, partial as Partial<Config>);
  }
  return Object.freeze(partial as unknown as Config);
}

/** Markdown for docs/configuration.md, generated from SETTINGS. */
export function renderConfigDoc(): string {
  const rows = SETTINGS.map((s) => `| ${s.env.map((e) => `\`${e}\``).join(' or ')} | ${s.defaultText} | ${s.description} |`);
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config.ts by `npm run docs:config`; edit the descriptions there. -->',
    '',
    'Portico reads its configuration from environment variables once, at start. An invalid value stops',
    'the process with exit code 2 and one line naming the variable.',
    '',
    '| Variable | Default | Meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
