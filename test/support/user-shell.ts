import { spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';

/**
 * The PATH a person has in their own terminal. Under `npm test`, npm puts
 * every ancestor's `node_modules/.bin` (with the bundled Node 24) and its
 * node-gyp shim in front of it; a reader pasting the README has neither, so
 * `node` is the system Node. Those entries are removed, nothing else changes.
 */
export function userPath(path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '' && !/[/\\]node_modules[/\\]\.bin$/.test(dir) && !/node-gyp-bin$/.test(dir))
    .join(delimiter);
}

/** A login shell's environment: PATH as above, HOME, locale and temp dir; no npm_* variables. */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: userPath() };
  for (const name of ['HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** What `command -v <name>` finds on the user's PATH (null when absent), and `node --version` there. */
export function userTools(): { node: string | null; npm: string | null; nodeVersion: string | null } {
  const which = (name: string) => {
    const r = spawnSync('bash', ['-c', `command -v ${name}`], { env: userEnv(), encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const node = which('node');
  const version = node === null ? null : spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { node, npm: which('npm'), nodeVersion: version };
}
