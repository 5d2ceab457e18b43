// Issue #4: query and form parameters of the authorization flow as data: pairs, and the edits a
// property makes to a valid request (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { encode } from '../support/arbitraries.ts';
import { resolve } from '../support/placeholders.ts';

export type Pair = readonly [name: string, value: string];

/** Parameters grouped by name, in order, empty values kept (the caller decides what an empty one means). */
export function grouped(pairs: readonly Pair[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
  return map;
}

/** One parameter of a map without empty values: `value` when sent once, `repeated` when sent more than once. */
export function one(map: Map<string, string[]>, name: string): { value: string | undefined; repeated: boolean } {
  const all = map.get(name) ?? [];
  return { value: all.length === 1 ? all[0] : undefined, repeated: all.length > 1 };
}

export const encodePairs = (pairs: readonly Pair[], values: Record<string, string>) => pairs.map(([k, v]) => `${encode(k)}=${encode(resolve(v, values))}`);

export function authorizeUrl(issuer: string, params: Record<string, string>): string {
  const url = new URL(`${issuer}/oauth2/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

export interface Edit {
  readonly op: 'set' | 'drop' | 'add';
  readonly name: string;
  readonly value: string;
}

/** set: replace every occurrence by one (or append); drop: remove all; add: one more occurrence (a repetition when present). */
export function applyEdits(base: readonly Pair[], edits: readonly Edit[]): Pair[] {
  let pairs = [...base];
  for (const e of edits) {
    if (e.op === 'drop') pairs = pairs.filter(([k]) => k !== e.name);
    else if (e.op === 'add') pairs.push([e.name, e.value]);
    else {
      const at = pairs.findIndex(([k]) => k === e.name);
      pairs = pairs.filter(([k], i) => k !== e.name || i === at);
      if (at === -1) pairs.push([e.name, e.value]);
      else pairs[at] = [e.name, e.value];
    }
  }
  return pairs;
}

/** Up to `maxLength` edits of the named parameters, a name drawn as often as its weight says. */
export const editsOf = (values: Record<string, fc.Arbitrary<string>>, weights: Record<string, number>, maxLength: number): fc.Arbitrary<Edit[]> =>
  fc.array(
    fc.constantFrom(...Object.entries(weights).flatMap(([name, n]) => Array.from({ length: n }, () => name))).chain((name) =>
      fc.record({ op: fc.constantFrom<Edit['op']>('set', 'set', 'set', 'drop', 'add'), name: fc.constant(name), value: values[name] ?? fc.string({ maxLength: 10 }) }),
    ),
    { maxLength },
  );
