// The notifications one metering batch writes for one account besides the spend-limit and
// auto-reload ones: balance.low and the allowance window events (SPEC §1.10). Decided by the pure
// rules of src/domain/events.ts from the state loaded under the batch's locks and the state the
// batch leaves; written to the outbox in the batch's own transaction.
import type { Plan } from '../domain/catalog';
import type { WindowState } from '../domain/cycles';
import { allowanceEvents, balanceLowCrossed, balanceLowThreshold } from '../domain/events';
import { limits } from '../domain/limits';
import { balanceMicros } from '../domain/wallet';
import type { LockedAccount, OutboxEvent } from './ports';

/** What the batch saw of one account when it took the lock. */
export interface NoticeBaseline {
  balance_micros: number;
  /** Window states by `${seat}\u0000${kind}`, copied. */
  windows: Map<string, WindowState>;
}

export function noticeBaseline(locked: LockedAccount, now_ms: number): NoticeBaseline {
  const windows = new Map<string, WindowState>();
  for (const [seat, seat_windows] of locked.windows) for (const state of seat_windows.values()) windows.set(`${seat}\u0000${state.kind}`, { ...state });
  return { balance_micros: balanceMicros(locked.wallet, now_ms), windows };
}

export function meterNotices(locked: LockedAccount, plan: Plan | undefined, baseline: NoticeBaseline, seats: Iterable<string>, now_ms: number): OutboxEvent[] {
  const account_id = locked.account.id;
  const out: OutboxEvent[] = [];
  const balance_after = balanceMicros(locked.wallet, now_ms);
  const threshold_micros = balanceLowThreshold(locked.account.auto_reload.threshold_micros, limits.balance_low_micros_default);
  if (locked.account.extra_usage_enabled && balanceLowCrossed(baseline.balance_micros, balance_after, threshold_micros)) {
    const payload = { balance_micros: balance_after, threshold_micros, auto_reload_enabled: locked.account.auto_reload.enabled };
    out.push({ account_id, type: 'balance.low', payload, created_at_ms: now_ms });
  }
  for (const seat of plan ? seats : []) {
    for (const spec of plan!.windows) {
      const before = baseline.windows.get(`${seat}\u0000${spec.kind}`);
      const after = locked.windows.get(seat)?.get(spec.kind);
      for (const e of allowanceEvents(spec, before, after, locked.account.anchor_ms, now_ms, limits.allowance_warning_percent)) {
        const payload: Record<string, unknown> = {
          window: e.window,
          ...(seat !== '' ? { user_id: seat } : {}),
          used_tokens: e.used_tokens,
          limit_tokens: e.limit_tokens,
          window_start: new Date(e.start_ms).toISOString(),
          resets_at: new Date(e.resets_at_ms).toISOString(),
        };
        if (e.type === 'allowance.warning') payload.warning_percent = limits.allowance_warning_percent;
        if (e.previous_start_ms !== undefined) {
          payload.previous_window_start = new Date(e.previous_start_ms).toISOString();
          payload.previous_used_tokens = e.previous_used_tokens;
        }
        out.push({ account_id, type: e.type, payload, created_at_ms: now_ms });
      }
    }
  }
  return out;
}
