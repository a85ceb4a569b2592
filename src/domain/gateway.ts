// The drop-in model gateway's rules (docs/gateway.md), pure: the input bound of a Messages
// request's hold, the cache writes it may make, the usage an SSE stream reports, and the
// Anthropic-shaped error body. No I/O: the use case (app/gateway.ts) feeds bytes in and reads
// figures out.
import { limits } from './limits';
import type { CacheWrite } from './pricing';
import type { Figures } from './refusals';

/** The parts of a Messages request body the gateway meters by; everything else is forwarded unread. */
export interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: unknown[];
  system?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  stream?: unknown;
}

/** UTF-8 bytes of a string, counted without allocating (surrogate pairs are 4 bytes, as encoded). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Content blocks whose base64 `source.data` is counted at a fixed bound, not by its bytes. */
const BOUNDED_BLOCKS: Record<string, number> = {
  image: limits.gateway_image_input_tokens_max,
  document: limits.gateway_document_input_tokens_max,
};

/**
 * The largest number of input tokens a request can have (docs/gateway.md, "The input bound"):
 * the UTF-8 bytes of the JSON of system, messages, tools and tool_choice, where an image or
 * document block (base64, URL or file source) counts as its named bound instead of its bytes
 * (a text document's text is counted as text, its bound added as well), plus a fixed overhead,
 * at most the largest context window. Each token is at least one byte of the text sent.
 */
export function inputTokensBound(body: MessagesBody): number {
  let blocks_tokens = 0;
  // JSON.stringify's replacer sees every object: a bounded block is replaced by its bound (its
  // type name stays so the framing bytes are still counted), once per block however deep it is.
  const replacer = (_key: string, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const block = value as { type?: unknown; source?: unknown };
      const bound = typeof block.type === 'string' ? BOUNDED_BLOCKS[block.type] : undefined;
      if (bound !== undefined && typeof block.source === 'object' && block.source !== null) {
        blocks_tokens += bound;
        const source = block.source as { type?: unknown; data?: unknown };
        // A text document's data is text the model reads: counted by its bytes too.
        return source.type === 'text' ? { ...block, source: { data: source.data } } : { type: block.type };
      }
    }
    return value;
  };
  const text = JSON.stringify({ system: body.system, messages: body.messages, tools: body.tools, tool_choice: body.tool_choice }, replacer);
  const bound = utf8Bytes(text) + blocks_tokens + limits.gateway_request_overhead_tokens;
  return Math.min(bound, limits.gateway_context_tokens_max);
}

/**
 * The cache writes a request may make, for its hold's price: a `cache_control` anywhere with
 * `ttl: "1h"` → "1h", any other `cache_control` → "5m", none → "none".
 */
export function cacheWriteOf(body: MessagesBody): CacheWrite {
  let found: CacheWrite = 'none';
  const stack: unknown[] = [body.system, body.messages, body.tools];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (typeof value === 'object' && value !== null) {
      const control = (value as { cache_control?: unknown }).cache_control;
      if (typeof control === 'object' && control !== null) {
        if ((control as { ttl?: unknown }).ttl === '1h') return '1h';
        found = '5m';
      }
      for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return found;
}

/** A usage object as the upstream sends it (Anthropic's `usage`): counts, maybe null, and other fields. */
export type UpstreamUsage = Record<string, unknown>;

/**
 * What one SSE stream of the Messages API reported, fed its text as it arrives: `message_start`
 * carries the input counts (and a first output count), each `message_delta` the cumulative
 * final counts; an `error` event ends a stream that broke upstream.
 */
export class StreamUsage {
  private buffer = '';
  start_usage: UpstreamUsage | null = null;
  delta_usage: UpstreamUsage | null = null;
  content_deltas = 0;
  stopped = false;
  error_event: { type: string; message: string } | null = null;

  /** Feeds decoded text; complete events (ended by a blank line) are read, the rest is kept. */
  push(text: string): void {
    this.buffer += text.replace(/\r\n?/g, '\n');
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      this.read(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
    // An event longer than any the upstream sends is dropped, so a broken stream cannot grow this without bound.
    if (this.buffer.length > limits.gateway_sse_event_bytes_max) this.buffer = '';
  }

  private read(block: string): void {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
      .join('\n');
    if (data === '') return;
    let event: { type?: unknown; message?: { usage?: unknown }; usage?: unknown; error?: { type?: unknown; message?: unknown } };
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    const usage = (u: unknown) => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as UpstreamUsage) : null);
    switch (event.type) {
      case 'message_start':
        this.start_usage = usage(event.message?.usage) ?? this.start_usage;
        break;
      case 'message_delta':
        this.delta_usage = usage(event.usage) ?? this.delta_usage;
        break;
      case 'content_block_delta':
        this.content_deltas += 1;
        break;
      case 'message_stop':
        this.stopped = true;
        break;
      case 'error':
        this.error_event = { type: String(event.error?.type ?? 'error'), message: String(event.error?.message ?? '') };
        break;
    }
  }

  /** The final usage: message_start's counts with every non-null count of the last message_delta over them. */
  finalUsage(): UpstreamUsage | null {
    if (this.delta_usage === null) return null;
    const merged: UpstreamUsage = { ...(this.start_usage ?? {}) };
    for (const [key, value] of Object.entries(this.delta_usage)) if (value !== null && value !== undefined) merged[key] = value;
    return merged;
  }

  /**
   * The best known usage of a stream that ended without a final count (docs/gateway.md): the
   * counts of message_start, with at least one output token per content delta received (each
   * delta carries at least one token). Null when not even message_start arrived.
   */
  bestKnownUsage(): UpstreamUsage | null {
    const final = this.finalUsage();
    if (final) return final;
    if (this.start_usage === null) return null;
    const reported = typeof this.start_usage.output_tokens === 'number' ? this.start_usage.output_tokens : 0;
    return { ...this.start_usage, output_tokens: Math.max(reported, this.content_deltas) };
  }
}

/**
 * An error as Anthropic's Messages API writes one, so an SDK raises its own error classes:
 * `{"type":"error","error":{"type":…,"message":…, …figures}}`; Tokenbank's own refusals keep
 * their `type` and figures inside `error`.
 */
export function anthropicErrorBody(type: string, message: string, figures: Figures = {}) {
  return { type: 'error' as const, error: { type, message, ...figures } };
}
