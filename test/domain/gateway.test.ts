// The gateway's pure rules (docs/gateway.md): the stream's usage read from SSE text however it is
// cut into chunks, the final usage merged from message_start and message_delta, the best known
// usage of a stream that broke, and the input bound of a request.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicErrorBody, inputTokensBound, StreamUsage, utf8Bytes } from '../../src/domain/gateway';
import { limits } from '../../src/domain/limits';

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = event('message_start', { message: { id: 'msg_1', usage: { input_tokens: 500, cache_creation_input_tokens: 20, cache_read_input_tokens: null, output_tokens: 1 } } });
const DELTA = event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hi' } });
const FINAL = event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42, input_tokens: null, server_tool_use: { web_search_requests: 1 } } });
const STOP = event('message_stop', {});

describe('StreamUsage', () => {
  it('reads the same usage whatever the chunking: byte by byte, CRLF line ends, one piece', () => {
    const text = START + DELTA + DELTA + FINAL + STOP;
    const expected = { input_tokens: 500, cache_creation_input_tokens: 20, cache_read_input_tokens: null, output_tokens: 42, server_tool_use: { web_search_requests: 1 } };
    for (const chunks of [[text], [...text], text.replace(/\n/g, '\r\n').match(/[\s\S]{1,7}/g)!]) {
      const usage = new StreamUsage();
      for (const c of chunks) usage.push(c);
      assert.deepEqual(usage.finalUsage(), expected);
      assert.equal(usage.content_deltas, 2);
      assert.equal(usage.stopped, true);
    }
  });

  it('a null count of message_delta keeps message_start’s; a later message_delta replaces an earlier one', () => {
    const usage = new StreamUsage();
    usage.push(START + event('message_delta', { usage: { output_tokens: 10 } }) + FINAL);
    assert.equal(usage.finalUsage()!.output_tokens, 42);
    assert.equal(usage.finalUsage()!.input_tokens, 500);
  });

  it('broken before message_delta: message_start’s counts, at least one output token per delta; nothing before message_start: null', () => {
    const usage = new StreamUsage();
    usage.push(START + DELTA + DELTA + DELTA);
    assert.equal(usage.finalUsage(), null);
    assert.deepEqual(usage.bestKnownUsage(), { input_tokens: 500, cache_creation_input_tokens: 20, cache_read_input_tokens: null, output_tokens: 3 });
    const empty = new StreamUsage();
    empty.push('event: ping\ndata: {"type":"ping"}\n\n');
    assert.equal(empty.bestKnownUsage(), null);
  });

  it('an error event is kept; a malformed data line and an event past its byte bound are dropped, not thrown', () => {
    const usage = new StreamUsage();
    usage.push('data: {not json\n\n' + event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
    assert.deepEqual(usage.error_event, { type: 'overloaded_error', message: 'Overloaded' });
    usage.push('data: ' + 'x'.repeat(limits.gateway_sse_event_bytes_max + 1));
    usage.push('\n\n' + START);
    assert.equal(usage.start_usage!.input_tokens, 500);
  });
});

describe('inputTokensBound', () => {
  it('counts UTF-8 bytes (é 2, € 3, an emoji 4), so every token of the text is covered', () => {
    assert.equal(utf8Bytes('aé€😀'), 1 + 2 + 3 + 4);
    const body = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: '€€€' }] };
    assert.equal(inputTokensBound(body), Buffer.byteLength(JSON.stringify({ messages: body.messages })) + limits.gateway_request_overhead_tokens);
  });
  it('system, tools and tool_choice count; a document counts its bound; a text document its text too', () => {
    const plain = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] };
    const tools = [{ name: 't', description: 'd'.repeat(1000), input_schema: { type: 'object' } }];
    assert.ok(inputTokensBound({ ...plain, system: 's'.repeat(500), tools }) >= inputTokensBound(plain) + 1500);
    const pdf = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'J'.repeat(50_000) } };
    const text_doc = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'w'.repeat(50_000) } };
    const with_pdf = inputTokensBound({ ...plain, messages: [{ role: 'user', content: [pdf] }] });
    const with_text = inputTokensBound({ ...plain, messages: [{ role: 'user', content: [text_doc] }] });
    assert.ok(with_pdf >= limits.gateway_document_input_tokens_max && with_pdf < limits.gateway_document_input_tokens_max + 2000, String(with_pdf));
    assert.ok(with_text >= limits.gateway_document_input_tokens_max + 50_000, String(with_text));
  });
});

it('the error body is Anthropic’s shape with the figures inside error', () => {
  assert.deepEqual(anthropicErrorBody('insufficient_balance', 'Add credits.', { available_micros: 5 }), { type: 'error', error: { type: 'insufficient_balance', message: 'Add credits.', available_micros: 5 } });
});
