// The demo world of `npm start` on an empty database: a Pro account whose owner can sign in,
// a card, credits, a promotional grant, extra usage on with the $50 default limit, and two weeks
// of generated usage so the history is not empty. The history is replayed in time order with
// its own clock (the account was opened two weeks ago), so allowance windows, the billing cycle
// and the spend counter look exactly as if the usage had happened live. Deterministic (seeded).
import type { Actor } from './deps';
import type { Clock } from './ports';
import type { Tokenbank } from './tokenbank';

export const DEMO = {
  email: 'demo@tokenbank.local',
  password: 'demo-password',
  account_name: 'Demo (Pro)',
  history_days: 14,
  events_per_day: 12,
} as const;

const day_ms = 86_400_000;

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A clock the seeding moves forward by hand. */
export class ReplayClock implements Clock {
  constructor(public at_ms: number) {}
  now_ms() {
    return this.at_ms;
  }
}

/**
 * Seeds the demo through `tb`, whose clock must be `clock`; `now_ms` is the real time. Returns
 * null when the database already has accounts.
 */
export async function seedDemo(tb: Tokenbank, clock: ReplayClock, now_ms: number, actor: Actor): Promise<{ account_id: string } | null> {
  const existing = await tb.store.listAccounts({ limit: 1 });
  if (existing.length > 0) return null;
  const opened_ms = now_ms - (DEMO.history_days + 1) * day_ms;
  clock.at_ms = opened_ms;
  const { account } = await tb.createAccount({ name: DEMO.account_name, plan: 'pro', owner_email: DEMO.email, owner_password: DEMO.password }, actor);
  await tb.addPaymentMethod(account.id, { token: 'tok_visa' }, actor);
  await tb.purchaseCredits(account.id, { amount_micros: 25_000_000 }, 'demo-initial-credits', actor);
  await tb.grantCredits(account.id, { amount_micros: 5_000_000, expires_at: new Date(opened_ms + 45 * day_ms).toISOString(), reason: 'welcome credit' }, actor);
  await tb.updateExtraUsage(account.id, { enabled: true }, actor);
  const random = rng(20261128);
  const apps = ['web', 'web', 'desktop', 'mobile', 'claude-code', 'claude-code', 'cursor'];
  const models = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5'];
  for (let day = DEMO.history_days; day >= 1; day--) {
    const times = Array.from({ length: DEMO.events_per_day }, () => now_ms - day * day_ms + Math.floor(random() * day_ms)).sort((a, b) => a - b);
    for (const [i, at] of times.entries()) {
      clock.at_ms = at;
      const input = 500 + Math.floor(random() * 8000);
      await tb.recordUsageEvents([
        {
          id: `demo-${day}-${i}`,
          account_id: account.id,
          app: apps[Math.floor(random() * apps.length)],
          model: models[Math.floor(random() * models.length)],
          usage: { input_tokens: input, output_tokens: 100 + Math.floor(random() * 2000), cache_read_input_tokens: Math.floor(random() * input) },
          timestamp: new Date(at).toISOString(),
        },
      ]);
    }
  }
  return { account_id: account.id };
}
