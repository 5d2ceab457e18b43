import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { mergeSnapshots, type Metrics, type MetricsSnapshot } from './http/metrics.ts';

/**
 * Several server processes on one port (node:cluster). Each worker keeps its
 * own metrics; `/metrics` on any worker asks the primary, which gathers every
 * worker's snapshot over IPC and answers with the sum.
 */
type Message =
  | { type: 'portico:metrics:gather'; id: string }
  | { type: 'portico:metrics:report'; id: string }
  | { type: 'portico:metrics:snapshot'; id: string; snapshot: MetricsSnapshot }
  | { type: 'portico:metrics:merged'; id: string; snapshot: MetricsSnapshot };

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';

/** Worker side: answer the primary's report requests; return the collector for /metrics. */
export function workerMetricsCollector(metrics: Metrics): () => Promise<MetricsSnapshot> {
  const send = process.send?.bind(process);
  if (!send || !cluster.isWorker) return async () => metrics.snapshot();
  const pending = new Map<string, (s: MetricsSnapshot) => void>();
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.type === 'portico:metrics:report') send({ type: 'portico:metrics:snapshot', id: m.id, snapshot: metrics.snapshot() });
    if (m.type === 'portico:metrics:merged') pending.get(m.id)?.(m.snapshot);
  });
  return () =>
    new Promise<MetricsSnapshot>((resolve) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(metrics.snapshot()); // the primary did not answer: at least this worker's numbers
      }, 2000);
      pending.set(id, (s) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(s);
      });
      send({ type: 'portico:metrics:gather', id });
    });
}

/**
 * V8 flag for every serving process: a 4 MB young generation. Measured with
 * 50 connections on one process: peak RSS 135 MB instead of 160-173 MB, with
 * the same throughput (the default young generation grows to 16 MB per
 * semi-space under load and is never given back).
 */
export const SERVER_EXEC_ARGV = ['--max-semi-space-size=4'] as const;

/** Primary side: fork `count` workers, restart the ones that die, merge metrics on request. */
export function superviseWorkers(count: number, onListening: () => void): { stop(): Promise<void> } {
  cluster.setupPrimary({ execArgv: [...process.execArgv.filter((a) => !a.startsWith('--max-semi-space-size')), ...SERVER_EXEC_ARGV] });
  let stopping = false;
  let announced = false;
  const gatherings = new Map<string, { from: Worker; snaps: MetricsSnapshot[]; waiting: number }>();

  const finish = (id: string) => {
    const g = gatherings.get(id);
    if (!g) return;
    gatherings.delete(id);
    g.from.send({ type: 'portico:metrics:merged', id, snapshot: mergeSnapshots(g.snaps) });
  };

  const fork = () => {
    const worker = cluster.fork();
    worker.on('listening', () => {
      if (!announced) {
        announced = true;
        onListening();
      }
    });
    worker.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      if (m.type === 'portico:metrics:gather') {
        const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
        gatherings.set(m.id, { from: worker, snaps: [], waiting: live.length });
        for (const w of live) w.send({ type: 'portico:metrics:report', id: m.id });
        setTimeout(() => finish(m.id), 1000).unref();
      } else if (m.type === 'portico:metrics:snapshot') {
        const g = gatherings.get(m.id);
        if (!g) return;
        g.snaps.push(m.snapshot);
        if (--g.waiting === 0) finish(m.id);
      }
    });
  };

  cluster.on('exit', () => {
    if (!stopping) setTimeout(fork, 500).unref();
  });
  for (let i = 0; i < count; i++) fork();

  return {
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
