// Timestamps of gt and bd, normalised to ISO-8601 strings with an explicit offset.
//
// gt prints times as Go's `"2006-01-02 15:04:05"` in the town host's local time, with no
// zone. The operator execs gt on that same host with the inherited environment (TZ
// included), so the local zone of this process *is* the town's zone: we read the wall time
// in it and print it back with its offset (`2026-04-30T09:02:38+02:00`). Wall times that a
// DST change makes ambiguous or non-existent resolve the way `Date` does (the earlier
// offset / shifted forward); gt gives us no way to do better.
// bd prints RFC 3339 (optional fractional seconds), which already carries its offset; it is
// validated and kept as printed.
import { z } from 'zod';

const GT_LOCAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Converts gt's zone-less local time to ISO-8601 with offset; undefined if not that format. */
export function gtLocalTimeToIso(text: string): string | undefined {
  const m = GT_LOCAL.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return undefined;
  return formatWithOffset(date);
}

/** Validates an RFC 3339 time; returns it unchanged, or undefined if it is not one. */
export function rfc3339(text: string): string | undefined {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text)) ? text : undefined;
}

/** `date` as local wall time with its UTC offset, second precision. */
export function formatWithOffset(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/**
 * A gt time field: `""`/absent → undefined; the zone-less format → ISO with offset; an RFC
 * 3339 value (should gt ever add a zone) is accepted as is; anything else is rejected.
 */
export const gtTime = z
  .string()
  .nullish()
  .transform((v, ctx): string | undefined => {
    if (!v) return undefined;
    const iso = gtLocalTimeToIso(v) ?? rfc3339(v);
    if (iso === undefined) ctx.addIssue({ code: 'custom', message: `not a gt timestamp: ${JSON.stringify(v)}` });
    return iso;
  });

/** A bd time field (RFC 3339); `""`/absent → undefined, anything else is rejected. */
export const bdTime = z
  .string()
  .nullish()
  .transform((v, ctx): string | undefined => {
    if (!v) return undefined;
    const iso = rfc3339(v);
    if (iso === undefined) ctx.addIssue({ code: 'custom', message: `not an RFC 3339 time: ${JSON.stringify(v)}` });
    return iso;
  });
