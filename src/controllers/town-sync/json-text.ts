// Reading the two files town sync parses itself (mayor/rigs.json and .events.jsonl lines):
// text that is not JSON, or JSON of another shape, is "not what gt writes", never an error
// that could stop a sync cycle.
import type { z } from 'zod';

/** The parsed value when `text` is JSON matching `schema`; undefined otherwise. */
export function parseJsonText<S extends z.ZodType>(schema: S, text: string): z.output<S> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
