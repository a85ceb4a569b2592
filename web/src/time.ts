// Dates in the viewer's own time zone (the browser's), named so nobody has to guess.
export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export const when = (iso: string) => dateTime.format(new Date(iso));
export const day = (iso: string) => dateOnly.format(new Date(iso));

/** A UTC calendar day from the API ("2026-11-23") as a date, not shifted into another day. */
export function calendarDay(ymd: string, monthly = false): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const date = new Date(y, m - 1, d);
  return monthly
    ? date.toLocaleDateString(undefined, { month: 'short', year: 'numeric' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** "in 3 h 20 min", "in 4 days". */
export function fromNow(iso: string, now_ms = Date.now()): string {
  const ms = Date.parse(iso) - now_ms;
  const abs = Math.abs(ms);
  const minutes = Math.round(abs / 60_000);
  let text: string;
  if (minutes < 60) text = `${minutes} min`;
  else if (minutes < 48 * 60) text = `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  else text = `${Math.round(minutes / 1440)} days`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function ymd(date: Date): string {
  return date.toISOString().slice(0, 10);
}
