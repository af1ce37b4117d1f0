// Runs a batch of async tasks with a bound on how many are in flight: a big batch of API
// writes sent at once would open a connection each (the pool has no idle one to reuse) and
// contend for the one event loop; a few at a time reuse kept-alive connections.

/** Runs `tasks` with at most `limit` in flight; the results in the tasks' order. */
export async function bounded<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) results[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
