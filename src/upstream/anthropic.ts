// The drop-in gateway's upstream (docs/gateway.md): Anthropic's Messages API, or anything that
// speaks it, through undici's fetch (the fetch Node ships, as a package: its Agent is not
// exported by Node). The operator's key goes out as x-api-key; the client's credential never
// does. Timeouts are named in limits.ts: until the answer's headers, for a whole non-streamed
// answer, and between two chunks of a stream and for all of it. They are the only ones: the
// dispatcher's own (300 s for headers and between body chunks by default) would cut a
// non-streamed answer that takes longer to generate, as a long one does.
import { Agent, fetch } from 'undici';
import { limits } from '../domain/limits';
import type { ModelUpstream, UpstreamAnswer } from '../app/ports';

export interface AnthropicUpstreamOptions {
  /** TOKENBANK_UPSTREAM_URL: scheme, host and optional path prefix; `/v1/messages` is added. */
  base_url: string;
  /** TOKENBANK_UPSTREAM_API_KEY: sent as x-api-key; none when null (an upstream that needs no key). */
  api_key: string | null;
  timeout_ms?: number;
  stream_idle_timeout_ms?: number;
  stream_ms_max?: number;
}

export const DEFAULT_UPSTREAM_URL = 'https://api.anthropic.com';
/** The API version sent when the client names none (the SDK always names one). */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

const timeoutError = (message: string) => Object.assign(new Error(message), { name: 'TimeoutError' });

export function anthropicUpstream(options: AnthropicUpstreamOptions): ModelUpstream {
  const url = `${options.base_url.replace(/\/+$/, '')}/v1/messages`;
  const timeout_ms = options.timeout_ms ?? limits.gateway_upstream_timeout_ms;
  const idle_ms = options.stream_idle_timeout_ms ?? limits.gateway_stream_idle_timeout_ms;
  const stream_ms_max = options.stream_ms_max ?? limits.gateway_stream_ms_max;
  // 0: no timeout of the dispatcher's own; the timers below end every call.
  const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
  return {
    async sendMessages(input): Promise<UpstreamAnswer> {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: input.stream ? 'text/event-stream' : 'application/json',
        'anthropic-version': input.anthropic_version ?? DEFAULT_ANTHROPIC_VERSION,
      };
      if (input.anthropic_beta) headers['anthropic-beta'] = input.anthropic_beta;
      if (options.api_key) headers['x-api-key'] = options.api_key;
      const abort = new AbortController();
      // One timer at a time: the headers (and a non-streamed body) get timeout_ms; a stream's
      // body gets idle_ms between chunks, and stream_ms_max in all.
      let timer = setTimeout(() => abort.abort(timeoutError(`no answer within ${timeout_ms} ms`)), timeout_ms);
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(url, { method: 'POST', headers, body: input.body, signal: abort.signal, redirect: 'error', dispatcher });
      } catch (error) {
        clearTimeout(timer);
        const timed_out = abort.signal.aborted;
        return { ok: false, failure: timed_out ? 'timeout' : 'network', message: timed_out ? `no answer within ${timeout_ms} ms` : describe(error) };
      }
      const answer_headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (answer_headers[name] = value));
      const streamed = input.stream && response.ok;
      const started_ms = Date.now(); // timers only
      async function* body(): AsyncIterable<Uint8Array> {
        try {
          if (!response.body) return;
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            if (streamed) {
              clearTimeout(timer);
              const left_ms = stream_ms_max - (Date.now() - started_ms);
              if (left_ms <= 0) throw timeoutError(`the stream lasted more than ${stream_ms_max} ms`);
              timer = setTimeout(() => abort.abort(timeoutError(`the stream was silent for ${idle_ms} ms`)), Math.min(idle_ms, left_ms));
            }
            yield chunk;
          }
        } catch (error) {
          if (abort.signal.aborted) throw abort.signal.reason;
          throw error;
        } finally {
          clearTimeout(timer);
          if (!abort.signal.aborted) abort.abort();
        }
      }
      if (streamed) {
        clearTimeout(timer);
        timer = setTimeout(() => abort.abort(timeoutError(`the stream was silent for ${idle_ms} ms`)), Math.min(idle_ms, stream_ms_max));
      }
      return { ok: true, status: response.status, headers: answer_headers, body: body() };
    },
  };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
