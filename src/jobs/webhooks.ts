// The network webhooks go out on (the WebhookNetwork port): name lookup through the system
// resolver, and one POST with the global fetch, a timeout, no redirects followed (a redirect
// could point at a private address the URL check never saw) and a bounded read of the answer.
// The worker itself is a tick of `tb.deliverWebhooks()`, run by startJobs (./loops.ts).
import { lookup } from 'node:dns/promises';
import type { WebhookNetwork } from '../app/ports';
import { limits } from '../domain/limits';

export const webhook_request_timeout_ms = limits.webhook_request_timeout_ms;

async function withTimeout<T>(promise: Promise<T>, timeout_ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeout_ms} ms`)), timeout_ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads at most webhook_response_body_bytes_max of the answer, then lets the rest go. */
async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  try {
    while (read < limits.webhook_response_body_bytes_max) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export const nodeWebhookNetwork: WebhookNetwork = {
  async resolve(host: string) {
    const found = await withTimeout(lookup(host, { all: true, verbatim: true }), limits.webhook_dns_timeout_ms, `looking up ${host}`);
    return found.map((a) => a.address);
  },
  async post(input) {
    try {
      const response = await fetch(input.url, {
        method: 'POST',
        headers: input.headers,
        body: input.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(limits.webhook_request_timeout_ms),
      });
      await withTimeout(drain(response), limits.webhook_request_timeout_ms, 'reading the answer').catch(() => undefined);
      return { ok: true, status_code: response.status };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const reason = e.name === 'TimeoutError' ? `no answer within ${limits.webhook_request_timeout_ms} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, status_code: null, error: String(reason) };
    }
  },
};
