/** The "(source reported N)" after a resync's "snapshot rows applied": one wording for the CLI, the activity log and the UI. */
import type { ResyncReport } from './status.ts';

/**
 * Applied can exceed reported when the topic held other scans' rows of the table, read after the resync
 * began: another replica's resync of it, or an earlier one of this replica's (a fresh replica replaying
 * the topic). Incremental-snapshot records do not say which scan they belong to, so they all count.
 */
export function reportedRowsText(r: Pick<ResyncReport, 'rowsScanned' | 'rowsReported'>, fmt: (n: number) => string = String): string {
  if (r.rowsReported === null) return '';
  const others = r.rowsScanned > r.rowsReported ? '; rows of other scans of the table in the topic, such as another replica\'s resync, count too' : '';
  return ` (source reported ${fmt(r.rowsReported)}${others})`;
}

/** Leads a repaired resync's figures when the halted table was dropped and created again: one wording for the CLI, the activity log and the UI. */
export function recreatedText(r: Pick<ResyncReport, 'recreated'>): string {
  return r.recreated ? 'recreated empty (it was halted; indexes and triggers of yours on it were dropped with it), ' : '';
}
