/** Where a request came from, for audit events and per-address limits: plain data, no HTTP object in the core (issue #9). */
export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string | null;
  readonly requestId: string;
}
