// The pane's end of a session: the tmux pane's stdin and stdout joined to the agent
// container's TTY through `pods/attach` (@kubernetes/client-node's Attach, WebSocket), for as
// many attach streams as the session needs (one per re-attach).
//
// Guarantees: input typed or nudged into the pane while no stream is open is kept and sent,
// in order, on the next one (a nudge during an API server restart is not lost); the pane's
// terminal size is sent at each attach and on every resize (SIGWINCH) while the pane is a
// terminal; a stream that stops answering WebSocket pings is closed, so a half-open connection
// ends in a re-attach instead of a silent pane. `attach` tells an agent that ended (the
// server's status frame) from a stream that dropped.
import { Attach, type KubeConfig } from '@kubernetes/client-node';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { AGENT_CONTAINER } from './session-pods.ts';

/** The pane's stdout: a terminal (rows, columns, 'resize' on SIGWINCH) or a plain stream. */
export type PaneOutput = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number };

export interface Pane {
  readonly input: Readable;
  readonly output: PaneOutput;
}

/** 'ended': the server sent the agent's exit status; 'dropped': the stream closed without one. */
export type AttachEnd = 'ended' | 'dropped';

/** One attach stream's view of the pane output; a terminal view when the pane is one. */
class StreamOutput extends Writable {
  private readonly target: PaneOutput;

  constructor(target: PaneOutput) {
    super();
    this.target = target;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.target.write(chunk)) callback();
    else this.target.once('drain', () => callback());
  }
}

/** client-node sends resize frames for an output with rows, columns and 'resize' events. */
class TerminalOutput extends StreamOutput {
  private readonly terminal: PaneOutput;
  private readonly relay = (): boolean => this.emit('resize');

  constructor(terminal: PaneOutput) {
    super(terminal);
    this.terminal = terminal;
    terminal.on('resize', this.relay);
    this.once('close', () => terminal.off('resize', this.relay));
  }

  get rows(): number {
    return this.terminal.rows ?? 24;
  }

  get columns(): number {
    return this.terminal.columns ?? 80;
  }
}

/**
 * What a failed attach says. client-node rejects with the WebSocket's error event (not an
 * Error): its `message` is what went wrong ("Unexpected server response: 400").
 */
export function attachFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' && error.message !== '') return error.message;
  return String(error);
}

export class PaneSession {
  private readonly pane: Pane;
  private readonly pending: Buffer[] = [];
  private current: PassThrough | undefined;
  private readonly onInput = (data: Buffer | string): void => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.current === undefined) this.pending.push(chunk);
    else this.current.write(chunk);
  };

  constructor(pane: Pane) {
    this.pane = pane;
    pane.input.on('data', this.onInput);
  }

  /**
   * Attaches to the agent container of `namespace/pod` and resolves when the stream closes.
   * Rejects when the stream cannot be opened (the caller reads the pod to learn why).
   */
  async attach(kubeConfig: KubeConfig, namespace: string, pod: string, keepaliveMs: number, onOpen: () => void): Promise<AttachEnd> {
    const stdin = new PassThrough();
    const output = this.pane.output.isTTY === true ? new TerminalOutput(this.pane.output) : new StreamOutput(this.pane.output);
    let ws;
    try {
      ws = await new Attach(kubeConfig).attach(namespace, pod, AGENT_CONTAINER, output, null, stdin, true);
    } catch (error) {
      output.destroy();
      throw new Error(`cannot open the attach stream: ${attachFailure(error)}`);
    }
    this.current = stdin;
    onOpen();
    for (const chunk of this.pending.splice(0)) stdin.write(chunk);
    const socket = ws;
    return new Promise<AttachEnd>((resolve) => {
      let answered = true;
      const keepalive = setInterval(() => {
        if (!answered) {
          socket.terminate();
          return;
        }
        answered = false;
        socket.ping();
      }, keepaliveMs);
      keepalive.unref();
      const alive = (): void => {
        answered = true;
      };
      socket.on('pong', alive);
      socket.on('message', alive);
      socket.on('error', () => socket.terminate());
      socket.once('close', () => {
        clearInterval(keepalive);
        if (this.current === stdin) this.current = undefined;
        // client-node ends the output when the status frame (the agent's exit) arrives; a
        // dropped stream has not. Either way what was received reaches the pane first.
        const end: AttachEnd = output.writableEnded ? 'ended' : 'dropped';
        output.once('close', () => resolve(end));
        if (!output.writableEnded) output.end();
        else if (output.closed) resolve(end);
      });
    });
  }

  /** Stops reading the pane. */
  close(): void {
    this.pane.input.off('data', this.onInput);
    this.current = undefined;
  }
}
