// The demo world of `npm start` on an empty database: a Pro account whose owner can sign in,
// a card, credits, a promotional grant, extra usage on with a $50 limit, and two weeks of
// generated usage so the history is not empty. Deterministic (seeded), so every demo looks alike.
import type { Actor } from './deps';
import type { Tokenbank } from './tokenbank';

export const DEMO = {
  email: 'demo@tokenbank.local',
  password: 'demo-password',
  account_name: 'Demo (Pro)',
  history_days: 14,
  events_per_day: 12,
} as const;

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

export async function seedDemo(tb: Tokenbank, actor: Actor): Promise<{ account_id: string } | null> {
  const existing = await tb.store.listAccounts({ limit: 1 });
  if (existing.length > 0) return null;
  const { account } = await tb.createAccount({ name: DEMO.account_name, plan: 'pro', owner_email: DEMO.email, owner_password: DEMO.password }, actor);
  await tb.addPaymentMethod(account.id, { token: 'tok_visa' }, actor);
  await tb.purchaseCredits(account.id, { amount_micros: 25_000_000 }, 'demo-initial-credits', actor);
  const now_ms = tb.deps.clock.now_ms();
  await tb.grantCredits(account.id, { amount_micros: 5_000_000, expires_at: new Date(now_ms + 30 * 86_400_000).toISOString(), reason: 'welcome credit' }, actor);
  await tb.updateExtraUsage(account.id, { enabled: true }, actor);
  const random = rng(20261128);
  const apps = ['web', 'web', 'desktop', 'mobile', 'claude-code', 'claude-code', 'cursor'];
  const models = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5'];
  const events = [];
  for (let day = DEMO.history_days; day >= 1; day--) {
    for (let i = 0; i < DEMO.events_per_day; i++) {
      const at = now_ms - day * 86_400_000 + Math.floor(random() * 86_400_000);
      const input = 500 + Math.floor(random() * 8000);
      events.push({
        id: `demo-${day}-${i}`,
        account_id: account.id,
        app: apps[Math.floor(random() * apps.length)],
        model: models[Math.floor(random() * models.length)],
        usage: { input_tokens: input, output_tokens: 100 + Math.floor(random() * 2000), cache_read_input_tokens: Math.floor(random() * input) },
        timestamp: new Date(at).toISOString(),
      });
    }
  }
  await tb.recordUsageEvents(events);
  return { account_id: account.id };
}
