// Workload 3: usage events without a hold (tb.recordUsageEvents), in batches of 100 of which 10
// repeat an event already sent (a gateway retrying after a timeout). Closed loop over
// `concurrency` senders. Afterwards the database must hold exactly one usage record per event id.
import type { UsageEventInput } from '../../src/app/metering';
import type { BenchBank } from '../lib/setup';
import { round, seededRandom, sleep } from '../lib/stats';
import { PAIR_APPS } from './pairs';

export const EVENTS_PER_BATCH = 100;
export const DUPLICATES_PER_BATCH = 10;

interface WireEvent {
  id: string;
  account_id: string;
  app: string;
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  timestamp: string;
}

export interface IngestResult {
  events_per_s: number;
  new_events_per_s: number;
  batch_latency_ms_avg: number;
  events: number;
  unique_events: number;
  duplicates_answered: number;
  errors: Record<string, number>;
  records_in_db: number;
  distinct_ids_in_db: number;
  seconds: number;
  concurrency: number;
}

export async function runIngest(options: { bank: BenchBank; pick: () => string; concurrency: number; warmup_s: number; measure_s: number; run_id: string }): Promise<IngestResult> {
  const { tb, db } = options.bank;
  const random = seededRandom(7);
  const sent: WireEvent[] = []; // every distinct event sent so far, for the resends
  const unique_ids = new Set<string>();
  let n = 0;
  let measuring = false;
  let stopped = false;
  let events = 0;
  let new_events = 0;
  let batches = 0;
  let batch_ms = 0;
  let duplicates_answered = 0;
  let answered = 0;
  const errors: Record<string, number> = {};

  const makeBatch = (): WireEvent[] => {
    const batch: WireEvent[] = [];
    const fresh = EVENTS_PER_BATCH - DUPLICATES_PER_BATCH;
    for (let i = 0; i < fresh; i++) {
      const event: WireEvent = {
        id: `${options.run_id}-evt-${++n}`,
        account_id: options.pick(),
        app: PAIR_APPS[n % 2]!,
        model: 'claude-haiku-4-5',
        usage: { input_tokens: 100, output_tokens: 50 },
        timestamp: new Date().toISOString(),
      };
      batch.push(event);
      sent.push(event);
      unique_ids.add(`${event.account_id}/${event.id}`);
    }
    // Resends: the identical event again (same id, same content), from anything sent before —
    // possibly still in flight in another batch, which is the hard case for exactly-once.
    for (let i = 0; i < DUPLICATES_PER_BATCH; i++) batch.push(sent[Math.floor(random() * sent.length)]!);
    return batch;
  };

  const sender = async () => {
    while (!stopped) {
      const batch = makeBatch();
      const started = performance.now();
      const results = await tb.recordUsageEvents(batch as unknown as UsageEventInput[]);
      let dup = 0;
      for (const r of results) {
        if (!r.ok) errors[r.error.type] = (errors[r.error.type] ?? 0) + 1;
        else if (r.duplicate) dup += 1;
      }
      duplicates_answered += dup;
      answered += results.length;
      if (measuring) {
        events += batch.length;
        new_events += EVENTS_PER_BATCH - DUPLICATES_PER_BATCH;
        batches += 1;
        batch_ms += performance.now() - started;
      }
    }
  };

  const senders = Array.from({ length: options.concurrency }, () => sender());
  await sleep(options.warmup_s * 1000);
  measuring = true;
  const started = performance.now();
  await sleep(options.measure_s * 1000);
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  stopped = true;
  await Promise.all(senders);
  await tb.meter.drain();

  const rows = await db.query<{ n: number; d: number }>(
    `SELECT COUNT(*)::bigint AS n, COUNT(DISTINCT (account_id, event_id))::bigint AS d FROM usage_records WHERE event_id LIKE $1`,
    [`${options.run_id}-evt-%`],
  );
  const { n: records_in_db, d: distinct_ids_in_db } = rows[0]!;
  if (Object.keys(errors).length > 0) throw new Error(`ingestion: events answered with errors: ${JSON.stringify(errors)}`);
  if (records_in_db !== unique_ids.size || distinct_ids_in_db !== unique_ids.size) {
    throw new Error(`ingestion: ${unique_ids.size} distinct events sent, but the database holds ${records_in_db} usage records for ${distinct_ids_in_db} distinct ids`);
  }
  if (answered - duplicates_answered !== unique_ids.size) {
    throw new Error(`ingestion: ${answered - duplicates_answered} events answered as recorded, ${unique_ids.size} distinct events sent`);
  }
  return {
    events_per_s: round(events / seconds),
    new_events_per_s: round(new_events / seconds),
    batch_latency_ms_avg: round(batches === 0 ? 0 : batch_ms / batches, 1),
    events,
    unique_events: unique_ids.size,
    duplicates_answered,
    errors,
    records_in_db,
    distinct_ids_in_db,
    seconds: round(seconds, 2),
    concurrency: options.concurrency,
  };
}
