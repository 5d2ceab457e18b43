import type { Page } from '../domain/pagination.ts';

/** The WorkOS list envelope (reference §0). */
export function formatList<T, W>(page: Page<T>, format: (item: T) => W) {
  return {
    object: 'list' as const,
    data: page.data.map(format),
    list_metadata: { before: page.before, after: page.after },
  };
}
