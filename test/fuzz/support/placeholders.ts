// Issue #9 (item 7): the `@@name@@` placeholders of the fuzz suites (issues #2, #3, #4).
//
// Generated requests are plain data in which placeholders stand for seeded,
// live objects (IDs, secrets, tokens, cookies). They are resolved just before
// sending, so counterexamples shrink and print readably and the runs
// fast-check replays while shrinking meet live objects again.

/** The placeholder for `name`. */
export const placeholder = (name: string) => `@@${name}@@`;

/** Replaces every `@@name@@` that `values` has a value for; any other text stays as it is. */
export function resolve(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/@@([a-z0-9_]+)@@/g, (all, name: string) => (Object.hasOwn(values, name) ? values[name]! : all));
}
