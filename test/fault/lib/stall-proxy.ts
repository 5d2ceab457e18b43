// Issue #8: a TCP proxy on loopback that can stall: while stalled it neither reads nor forwards a
// byte in either direction (connections stay open, as with a database that stopped answering or a
// network that drops packets), so every wait above the storage timeout happens for real.
import net from 'node:net';

export class StallProxy {
  readonly port: number;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #stalled = false;

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on 127.0.0.1 (a free port) and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<StallProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('no proxy port');
    const proxy = new StallProxy(server, address.port);
    server.on('connection', (client) => proxy.#connect(client, target));
    return proxy;
  }

  #connect(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.#sockets.add(from);
      // Plain 'data' forwarding, no pipe(): pipe() would resume a socket pause() just stopped.
      from.on('data', (chunk: Buffer) => to.write(chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.#sockets.delete(from);
        to.destroy();
      });
      if (this.#stalled) from.pause();
    }
  }

  /** From now on nothing moves, on open connections and new ones. */
  stall(): void {
    this.#stalled = true;
    for (const s of this.#sockets) s.pause();
  }

  resume(): void {
    this.#stalled = false;
    for (const s of this.#sockets) s.resume();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
