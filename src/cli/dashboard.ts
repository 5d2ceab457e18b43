import { createInterface } from 'node:readline';
import { openRuntime } from '../bootstrap.ts';
import type { Config } from '../config.ts';
import { systemRandom } from '../domain/random.ts';
import { hashPassword, PASSWORD_SETTING, passwordProblem } from '../dashboard/password.ts';

/** Thrown for a refused command line; main.ts prints it with the usage. */
export class DashboardCommandError extends Error {}

/** One line from the terminal without echo, or the first line of piped stdin. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(value);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new DashboardCommandError('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/**
 * `portico dashboard set-password | clear-password` (issue #14). The password
 * never appears on the command line (shell history, `ps`): it is typed, or
 * piped (`printf '%s\n' "$PW" | portico dashboard set-password`).
 */
export async function dashboardCommand(config: Config, sub: string | undefined): Promise<number> {
  if (sub !== 'set-password' && sub !== 'clear-password') throw new DashboardCommandError(`unknown dashboard command: ${sub ?? '(none)'}`);
  let hash: string | null = null;
  if (sub === 'set-password') {
    const password = await readPassword('New dashboard password: ');
    const problem = passwordProblem(password);
    if (problem !== null) throw new DashboardCommandError(`the password ${problem}`);
    if (process.stdin.isTTY && (await readPassword('Repeat it: ')) !== password) throw new DashboardCommandError('the two passwords differ');
    hash = await hashPassword(password, systemRandom);
  }
  const rt = await openRuntime(config);
  try {
    if (hash !== null) {
      await rt.storage.settings.put(PASSWORD_SETTING, hash);
      console.log('Dashboard password set: sign in at /dashboard. Sessions already open stay open until they expire or sign out.');
    } else {
      const had = await rt.storage.settings.delete(PASSWORD_SETTING);
      console.log(had ? 'Dashboard password removed: only API keys sign in now.' : 'No dashboard password was set.');
    }
    return 0;
  } finally {
    await rt.storage.close();
  }
}
