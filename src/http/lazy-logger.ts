import type { FastifyBaseLogger } from 'fastify';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/** pino's isLevelEnabled; a logger without one counts every level as enabled (it then decides itself). */
function enabled(logger: FastifyBaseLogger, level: string): boolean {
  const check = (logger as FastifyBaseLogger & { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled;
  return typeof check === 'function' ? check.call(logger, level) : true;
}

/**
 * A request's logger that becomes the pino child Fastify would have made
 * (same bindings, same options) only when something is logged at an enabled
 * level. Issue #12: building a child per request (its bindings serialized
 * and redacted) cost the token endpoint more than its own grant logic, for
 * requests that, at the default levels, never log a line.
 */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;
  #real: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #materialize(): FastifyBaseLogger {
    return (this.#real ??= this.#parent.child(this.#bindings, this.#options));
  }

  #log(level: Level, args: unknown[]): void {
    // A route with its own level (options.level) decides for itself: materialize and let it.
    if (this.#real === undefined && this.#options?.level === undefined && !enabled(this.#parent, level)) return;
    (this.#materialize()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#real?.level ?? this.#options?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#materialize().level = level;
  }

  isLevelEnabled(level: string): boolean {
    if (this.#real === undefined && this.#options?.level === undefined) return enabled(this.#parent, level);
    return enabled(this.#materialize(), level);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#materialize().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a {@link LazyChildLogger} per request. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
