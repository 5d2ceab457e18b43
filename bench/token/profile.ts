import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WindowUs } from '../lib/proc.ts';

/** The part of V8's .cpuprofile format (written by `node --cpu-prof`) read here. */
interface CpuProfile {
  /** µs of CLOCK_MONOTONIC: the clock of process.hrtime() in every process. */
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  readonly name: string;
  /** Share of the busy (non-idle) samples, %. */
  readonly pct: number;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly files: number;
  /** Busy time over all profiled processes, ms (samples that were not "(idle)"). */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Functions by self time. */
  readonly topSelf: ProfileEntry[];
  /** Self time grouped by where the code lives (Portico's src/, a package, node internals, native). */
  readonly byArea: ProfileEntry[];
  /** Portico functions (src/) by inclusive time: how much of the busy time is spent under each. */
  readonly topInclusiveSrc: ProfileEntry[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const bench = url.lastIndexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, '');
}

function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return `portico ${url.slice(src + 1).split('/').slice(0, 2).join('/')}`;
  return shortUrl(url);
}

const keyOf = (f: { functionName: string; url: string; lineNumber: number }) =>
  `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;

/**
 * Aggregates every .cpuprofile in `dir` (one per process: the primary and
 * its workers), counting only the samples taken inside one of `windows` when
 * given (so start-up, warm-up and the preparation between measured segments
 * are left out). Sample i is charged
 * timeDeltas[i + 1] (the time until the next sample), the last one the mean
 * interval.
 */
export function summarizeProfiles(dir: string, windows: readonly WindowUs[] | null, top = 15): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const n = profile.samples.length;
    const mean = n > 1 ? profile.timeDeltas.slice(1).reduce((a, b) => a + b, 0) / (n - 1) : 0;
    let at = profile.startTime;
    for (let i = 0; i < n; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (windows !== null && !windows.some((w) => at >= w.startUs && at <= w.endUs)) continue;
      const node = byId.get(profile.samples[i]!);
      if (!node) continue;
      const us = i + 1 < n ? profile.timeDeltas[i + 1]! : mean;
      const f = node.callFrame;
      if (f.functionName === '(idle)') {
        idle += us;
        continue;
      }
      busy += us;
      const k = keyOf(f);
      self.set(k, (self.get(k) ?? 0) + us);
      const a = area(f.url, f.functionName);
      areas.set(a, (areas.get(a) ?? 0) + us);
      // Inclusive: every distinct Portico frame on the stack.
      const onStack = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const fr = byId.get(id)?.callFrame;
        if (fr && fr.url.includes('/src/') && !fr.url.includes('/node_modules/')) onStack.add(keyOf(fr));
      }
      for (const key of onStack) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const entries = (m: Map<string, number>, limit: number): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, pct: busy > 0 ? (us / busy) * 100 : 0, ms: us / 1000 }));
  return { files: files.length, busyMs: busy / 1000, idleMs: idle / 1000, topSelf: entries(self, top), byArea: entries(areas, top), topInclusiveSrc: entries(inclusive, top) };
}
