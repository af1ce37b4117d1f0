// Entry point: parses the command line and runs the chosen command. Unexpected failures end
// with exit code 1 and one line on stderr (the stack only with GASTOWN_DEBUG=1).
import { buildCli } from './cli.ts';

try {
  await buildCli().parseAsync(process.argv);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`gastown-operator: ${message}\n`);
  if (process.env.GASTOWN_DEBUG === '1' && err instanceof Error && err.stack !== undefined) {
    process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = 1;
}
