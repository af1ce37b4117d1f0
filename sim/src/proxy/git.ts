// Git smart-HTTP for a rig's bare repository `<town>/<rig>/.repo.git` (gastown
// internal/proxy/git.go): `GET /v1/git/<rig>/info/refs?service=git-upload-pack|git-receive-pack`
// and `POST /v1/git/<rig>/git-upload-pack|git-receive-pack`, served by the real
// `git upload-pack|receive-pack --stateless-rpc [--advertise-refs]` with an environment of
// HOME and PATH only. A push is read whole first (<= 32 MiB), its pkt-line ref updates parsed,
// and refused with 403 unless every ref is `refs/heads/polecat/<name>-*` for the certificate's
// polecat; only then is the unchanged body handed to git. Stricter than upstream: the rig in
// the URL must be the certificate's rig (403), so a polecat reaches only its own rig's repo.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { hostEnv } from './exec.ts';
import { BodyTooLarge, bodyStream, httpError, readLimited } from './http.ts';

const RIG_NAME = /^[a-zA-Z0-9_-]+$/;
const MAX_PUSH_BODY = 32 << 20;
const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

export interface GitCaller {
  rig: string;
  name: string;
}

function pktLine(text: string): string {
  return `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
}

/** The ref names a receive-pack request updates (the command list before the first flush). */
export function pushedRefs(body: Buffer): string[] | Error {
  const refs: string[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const len = Number.parseInt(body.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(len) || (len !== 0 && len < 4)) return new Error('malformed pkt-line length');
    if (len === 0) return refs;
    if (at + len > body.length) return new Error('read pkt-line payload: unexpected EOF');
    const line = body.subarray(at + 4, at + len).toString('utf8');
    const command = line.split('\0')[0]?.replace(/\n$/, '') ?? '';
    // `<old-oid> <new-oid> <ref>`; a push certificate or shallow line has another shape.
    const parts = command.split(' ');
    if (parts.length === 3 && parts[2] !== undefined) refs.push(parts[2]);
    else return new Error(`unexpected push command: ${command.slice(0, 80)}`);
    at += len;
  }
  return new Error('read pkt-line header: unexpected EOF');
}

export function pushRefusal(refs: readonly string[], polecat: string): string | undefined {
  const allowed = `refs/heads/polecat/${polecat}-`;
  const bad = refs.find((ref) => !ref.startsWith(allowed) || ref.length === allowed.length);
  return bad === undefined ? undefined : `push to ${JSON.stringify(bad)} denied: only refs/heads/polecat/${polecat}-* allowed`;
}

function runGit(res: ServerResponse, service: string, args: readonly string[], repo: string, input: Buffer | IncomingMessage | undefined, preamble?: string): void {
  const child = spawn('git', [service.slice('git-'.length), '--stateless-rpc', ...args, repo], { env: hostEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.on('error', (error) => httpError(res, 500, `git: ${error.message}`));
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (!started) {
      started = true;
      res.writeHead(200, { 'content-type': `application/x-${service}-${preamble !== undefined ? 'advertisement' : 'result'}`, 'cache-control': 'no-cache' });
      if (preamble !== undefined) res.write(preamble);
    }
    res.write(chunk);
  });
  child.on('close', (code) => {
    if (!started) httpError(res, 500, `git ${service} failed (${code ?? 'signal'}): ${stderr.trim()}`);
    else res.end();
  });
  if (input === undefined) child.stdin.end();
  else if (Buffer.isBuffer(input)) child.stdin.end(input);
  else bodyStream(input).pipe(child.stdin);
  child.stdin.on('error', () => undefined);
}

async function receivePack(req: IncomingMessage, res: ServerResponse, repo: string, caller: GitCaller): Promise<void> {
  let body: Buffer;
  try {
    body = await readLimited(bodyStream(req), MAX_PUSH_BODY);
  } catch (error) {
    return httpError(res, error instanceof BodyTooLarge ? 413 : 400, error instanceof Error ? error.message : 'read error');
  }
  const refs = pushedRefs(body);
  if (refs instanceof Error) return httpError(res, 400, refs.message);
  const refused = pushRefusal(refs, caller.name);
  if (refused !== undefined) return httpError(res, 403, refused);
  runGit(res, 'git-receive-pack', [], repo, body);
}

/** Serves `/v1/git/<rig>/<rest>` for the authenticated caller. */
export async function handleGit(req: IncomingMessage, res: ServerResponse, url: URL, townRoot: string, caller: GitCaller): Promise<void> {
  const path = url.pathname.slice('/v1/git/'.length);
  const slash = path.indexOf('/');
  if (slash < 0) return httpError(res, 400, 'invalid git path');
  const rig = path.slice(0, slash);
  const rest = path.slice(slash + 1);
  if (rig === '') return httpError(res, 400, 'missing rig name');
  if (!RIG_NAME.test(rig)) return httpError(res, 400, 'invalid rig name');
  if (rig !== caller.rig) return httpError(res, 403, `rig ${JSON.stringify(rig)} is not the certificate's rig`);
  const repo = join(townRoot, rig, '.repo.git');
  if (!existsSync(repo)) return httpError(res, 404, `rig ${JSON.stringify(rig)} not found`);
  if (rest === 'info/refs') {
    if (req.method !== 'GET') return httpError(res, 405, 'method not allowed');
    const service = url.searchParams.get('service') ?? '';
    if (!SERVICES.has(service)) return httpError(res, 400, 'unsupported service');
    return runGit(res, service, ['--advertise-refs'], repo, undefined, `${pktLine(`# service=${service}\n`)}0000`);
  }
  if (!SERVICES.has(rest)) return httpError(res, 404, 'unknown git endpoint');
  if (req.method !== 'POST') return httpError(res, 405, 'method not allowed');
  if (rest === 'git-receive-pack') return receivePack(req, res, repo, caller);
  runGit(res, rest, [], repo, req);
  return Promise.resolve();
}
