// The one way tests wait for an asynchronous outcome (never a fixed sleep): `check` is called
// every `everyMs` until it returns something other than `undefined` or `false`, which is then
// the result; a throwing check counts as "not yet". Past the deadline it throws, naming `what`
// and the check's last error, so a slow machine gives a clear failure rather than a flaky one.
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
