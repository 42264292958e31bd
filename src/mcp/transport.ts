/**
 * captain's stdio transport for the MCP server: newline-delimited JSON-RPC like the SDK's
 * `StdioServerTransport`, but a bad line never silences the server.
 * - A line that is not JSON gets a JSON-RPC parse error (-32700, id null).
 * - JSON that is not a valid JSON-RPC message gets an invalid-request error (-32600) carrying its
 *   id when it has one (else null).
 * - A line over `maxLineBytes` is skipped up to its newline without being buffered and answered
 *   with -32600 (id null); the server keeps serving the next lines. (The SDK's transport closes
 *   itself on a 10 MB line and then answers nothing until stdin ends.)
 * - stdin ending or failing closes the transport, so the server shuts down instead of lingering.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { MCP_MAX_LINE_BYTES } from '../config/defaults.js';

const NEWLINE = 0x0a;

type RequestId = string | number | null;

const idOf = (value: unknown): RequestId => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
};

export class CaptainStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Inside a line longer than the limit: drop bytes until its newline. */
  private skipping = false;
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    private readonly maxLineBytes: number = MCP_MAX_LINE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onInputError);
    this.input.once('end', this.onEnd);
    this.input.once('close', this.onEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const text = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve) => {
      if (this.output.write(text)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onInputError);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.chunks = [];
    this.buffered = 0;
    this.onclose?.();
  }

  private readonly onEnd = (): void => {
    void this.close();
  };

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
    void this.close();
  };

  private readonly onData = (chunk: Buffer): void => {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.skipping) {
        if (newline !== -1) this.skipping = false;
      } else if (this.buffered + (end - start) > this.maxLineBytes) {
        this.chunks = [];
        this.buffered = 0;
        this.skipping = newline === -1;
        this.reply(null, ErrorCode.InvalidRequest, `Invalid Request: a message line is over ${this.maxLineBytes} bytes; it was skipped`);
      } else {
        this.chunks.push(chunk.subarray(start, end));
        this.buffered += end - start;
        if (newline !== -1) {
          const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
          this.chunks = [];
          this.buffered = 0;
          this.handleLine(line);
        }
      }
      if (newline === -1) break;
      start = newline + 1;
    }
  };

  private handleLine(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.reply(null, ErrorCode.ParseError, `Parse error: ${(error as Error).message}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.reply(idOf(value), ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private reply(id: RequestId, code: number, message: string): void {
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}
