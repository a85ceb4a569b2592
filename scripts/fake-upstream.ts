// A stand-in for Anthropic's Messages API on this machine, to try the drop-in gateway without a
// real key (docs/gateway.md): the fake upstream of the tests (test/fixtures/fake-anthropic.ts),
// answering every POST /v1/messages with a short message, whole or streamed.
//   node --import tsx scripts/fake-upstream.ts 9100
//   TOKENBANK_UPSTREAM_URL=http://127.0.0.1:9100 npm start
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic';

const port = Number(process.argv[2] ?? '9100');
const fake = await startFakeAnthropic({ port });
console.log(`fake upstream on ${fake.url}: POST /v1/messages (usage: 1,200 input tokens, max_tokens / 2 output)`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
