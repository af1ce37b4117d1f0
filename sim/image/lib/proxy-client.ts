// gt-proxy-client (sandbox side of gastown's gt proxy, docs/sim-proxy.md): called as `gt` or
// `bd`. With GT_PROXY_URL, GT_PROXY_CERT and GT_PROXY_KEY set it sends the argv (tool name
// first) to `POST $GT_PROXY_URL/v1/exec` over mTLS (server verified against GT_PROXY_CA),
// prints the command's stdout and stderr and exits with its exit code; a refusal (403, 429,
// 503, ...) prints `gt-proxy-client: server error <status>: <message>` and exits 1. Without
// them it replaces itself with the real binary, GT_REAL_BIN (default /usr/local/bin/gt.real).
// Self-contained (node: modules only) so the polecat image can carry this file alone.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

interface ExecResponse {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function fail(message: string): never {
  process.stderr.write(`gt-proxy-client: ${message}\n`);
  process.exit(1);
}

function execReal(tool: string, args: readonly string[]): never {
  const real = process.env['GT_REAL_BIN'] ?? '/usr/local/bin/gt.real';
  if (process.execve === undefined) fail('this Node has no process.execve (Node >= 23.11 needed)');
  try {
    process.execve(real, [tool, ...args], process.env);
  } catch (error) {
    fail(`exec ${real}: ${error instanceof Error ? error.message : String(error)}`);
  }
  fail(`exec ${real}: returned`);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(`read ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function forward(url: string, certPath: string, keyPath: string, argv: readonly string[]): Promise<{ status: number; body: string }> {
  const caPath = process.env['GT_PROXY_CA'];
  const body = JSON.stringify({ argv });
  return new Promise((resolve, reject) => {
    const req = request(new URL('/v1/exec', url), {
      method: 'POST',
      cert: readPem(certPath, 'client cert'),
      key: readPem(keyPath, 'client key'),
      ...(caPath !== undefined && caPath !== '' ? { ca: readPem(caPath, 'CA') } : {}),
      minVersion: 'TLSv1.3',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const [tool = 'gt', ...args] = process.argv.slice(2);
  const env = process.env;
  const url = env['GT_PROXY_URL'];
  const cert = env['GT_PROXY_CERT'];
  const key = env['GT_PROXY_KEY'];
  if (url === undefined || url === '' || cert === undefined || cert === '' || key === undefined || key === '') execReal(tool, args);
  let reply: { status: number; body: string };
  try {
    reply = await forward(url, cert, key, [tool, ...args]);
  } catch (error) {
    fail(`proxy request failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (reply.status !== 200) fail(`server error ${reply.status}: ${reply.body.trim()}`);
  let result: ExecResponse;
  try {
    result = JSON.parse(reply.body) as ExecResponse;
  } catch (error) {
    fail(`decode response: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (result.stdout !== '') process.stdout.write(result.stdout);
  if (result.stderr !== '') process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

await main();
