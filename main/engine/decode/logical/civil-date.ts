/**
 * Days since 1970-01-01 → 'YYYY-MM-DD' by arithmetic (the proleptic Gregorian calendar, as Date uses),
 * without a Date object and its ISO string per value: every DATE and DATETIME column of every row goes
 * through here. Years 0000–9999 only; the caller keeps its own path for the rest.
 */

/** 0000-01-01 and 9999-12-31 as days since the epoch. */
export const FIRST_CIVIL_DAY = -719_528;
export const LAST_CIVIL_DAY = 2_932_896;

const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Two digits of 0–99. */
export const two = (n: number): string => TWO[n]!;

/** `days` in [FIRST_CIVIL_DAY, LAST_CIVIL_DAY]. */
export function civilDate(days: number): string {
  // Howard Hinnant's days_from_civil, inverted: eras of 400 years (146,097 days) starting 0000-03-01.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${two(Math.floor(y / 100))}${two(y % 100)}-${two(m)}-${two(d)}`;
}
