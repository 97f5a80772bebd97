/** Hint templates of the error classifier tables: `{name}` placeholders filled from the error in one pass. */

/**
 * Replaces each `{name}` in `template` with `values[name]` (unknown names stay as written). One pass:
 * a value that itself contains `{…}` (a driver message quoting SQL) is never expanded again.
 */
export function fillHint(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
