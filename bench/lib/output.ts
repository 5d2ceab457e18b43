import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR } from './server.ts';

/** Progress lines (stderr; the tables go to stdout). */
export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** A number with `digits` decimals, or "n/a". */
export const fmt = (n: number | null | undefined, digits: number): string => (n !== null && n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The 1, 5 and 15 minute load averages, rounded, for a report. */
export const loadavgNow = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);
export const loadavgText = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** A Markdown table, columns padded; `right` holds the right-aligned column indexes. */
export function table(header: readonly string[], body: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** What a results file says about the machine. */
export function machineInfo(): { node: string; cpus: number; cpuModel: string | null; totalMemMb: number } {
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, totalMemMb: Math.round(totalmem() / 1048576) };
}

/** A timestamp usable in a file name. */
export const fileStamp = (at: Date): string => at.toISOString().replace(/[:.]/g, '-');

/** Writes bench/results/<benchmark>-<stamp>.json (git-ignored) and returns its path. */
export function writeResults(benchmark: string, startedAt: Date, json: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${benchmark}-${fileStamp(startedAt)}.json`);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}
