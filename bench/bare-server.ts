// The HTTP baseline: Fastify with the same constructor options as the real server and one JSON
// POST route that parses the body and answers a small JSON object — the framework's own cost
// with no auth, no validation schema and no database, in the same kind of process
// (`node --import tsx`).
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 18090);
const app = Fastify({
  logger: false,
  bodyLimit: 1_048_576,
  ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
});
let n = 0;
app.get('/healthz', async () => ({ ok: true }));
app.post('/echo', async (request, reply) => {
  const body = request.body as Record<string, unknown>;
  return reply.status(201).send({ id: `echo_${++n}`, account_id: body.account_id ?? null, status: 'held' });
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`bare server on http://127.0.0.1:${port}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
