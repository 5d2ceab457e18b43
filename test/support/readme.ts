import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root and its README, as a reader sees them. */
export const ROOT = new URL('../..', import.meta.url).pathname;
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Printed (to stdout and stderr) before each block, so a run's output can be split per block. */
export const MARK = '### portico-readme-block';

/** The fenced blocks of `region` as [language, body]. */
export function fencedBlocks(region: string): [string, string][] {
  return [...region.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** The shell blocks between `<!-- name -->` and `<!-- /name -->`; every one must be a sh block. */
export function regionBlocks(readme: string, name: string): string[] {
  const start = readme.indexOf(`<!-- ${name} -->`);
  const end = readme.indexOf(`<!-- /${name} -->`);
  assert.ok(start !== -1 && end > start, `README.md needs a <!-- ${name} --> ... <!-- /${name} --> region`);
  const blocks = fencedBlocks(readme.slice(start, end));
  assert.ok(blocks.length > 0, `the ${name} region holds no code block`);
  for (const [lang, body] of blocks) assert.equal(lang, 'sh', `${name} blocks are pasted into a shell, so each must be sh; found ${lang || '(none)'}:\n${body}`);
  return blocks.map(([, body]) => body);
}

/** One bash script running `blocks` in order, each preceded by its marker, with 8080 replaced by `port`. */
export function scriptOf(blocks: readonly string[], port: number): string {
  return `${blocks.map((b, i) => `printf '%s\\n' '${MARK} ${i}'; printf '%s\\n' '${MARK} ${i}' >&2\n${b.replace(/\b8080\b/g, String(port))}`).join('\n')}\n`;
}

/** Output of one bash run split at the block markers: index i holds what block i printed. */
export function perBlock(text: string, count: number): string[] {
  // Not anchored to a line start: curl's JSON ends without a newline.
  const parts = text.split(new RegExp(`${MARK} (\\d+)\\n`));
  const out = Array.from({ length: count }, () => '');
  for (let i = 1; i < parts.length; i += 2) out[Number(parts[i])] = parts[i + 1] ?? '';
  return out;
}
