// Zod building blocks shared by the wire schemas.
//
// Guarantees: open enums never reject a value (unknown ones become `{kind:'unknown', raw}`);
// lists the CLI may print as `null` become `[]`; optional strings treat `""` as absent
// (gt's omitempty is not applied consistently); counters and flags that newer or older gt
// versions omit read as 0 / false. Identity fields (names, ids) stay required.
import { z } from 'zod';
import type { OpenEnum } from '../types.ts';

export function openEnum<const K extends string>(known: readonly K[]): z.ZodType<OpenEnum<K>, unknown> {
  return z
    .string()
    .nullish()
    .transform((raw): OpenEnum<K> => {
      const value = raw ?? '';
      return (known as readonly string[]).includes(value)
        ? { kind: value as K, raw: value }
        : { kind: 'unknown', raw: value };
    });
}

/** Known kind of a raw enum value (for building OpenEnums outside a schema). */
export function toOpenEnum<const K extends string>(known: readonly K[], raw: string): OpenEnum<K> {
  return (known as readonly string[]).includes(raw) ? { kind: raw as K, raw } : { kind: 'unknown', raw };
}

export const optString = z
  .string()
  .nullish()
  .transform((v): string | undefined => (v ? v : undefined));

export const str = z
  .string()
  .nullish()
  .transform((v): string => v ?? '');

export const count = z
  .number()
  .nullish()
  .transform((v): number => v ?? 0);

export const optNumber = z
  .number()
  .nullish()
  .transform((v): number | undefined => v ?? undefined);

export const flag = z
  .boolean()
  .nullish()
  .transform((v): boolean => v ?? false);

export const optFlag = z
  .boolean()
  .nullish()
  .transform((v): boolean | undefined => v ?? undefined);

export function list<T extends z.ZodType>(item: T): z.ZodType<z.output<T>[], unknown> {
  return z
    .array(item)
    .nullish()
    .transform((v): z.output<T>[] => v ?? []);
}
