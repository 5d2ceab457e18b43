/** A received Content-Type as an error message names it: quoted, shortened, printable (issue #8: a 415 says what came). */
export function describeType(contentType: string | undefined): string {
  if (contentType === undefined || contentType.trim() === '') return 'no Content-Type';
  return `'${contentType.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}'`;
}
