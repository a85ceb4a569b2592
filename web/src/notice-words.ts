// Notifications (the events list, webhook event types) put into words: a title per type and a
// one-line description of one event from its payload ("Auto-reload added $20.00").
import type { EventBody } from '../../src/contract/views';
import { tokens, usd } from './money';
import { when } from './time';
import { cardFailure } from './words';

export type EventType = EventBody['type'];

/** Every event type the API has (the compiler holds this to the contract's list), in its order. */
export const EVENT_TITLES = {
  'credits.purchased': 'Credits purchased',
  'credits.refunded': 'Credits refunded',
  'grant.added': 'Promotional credits granted',
  'grant.expired': 'Promotional credits expired',
  'auto_reload.fired': 'Auto-reload started',
  'auto_reload.succeeded': 'Auto-reload added credits',
  'auto_reload.failed': 'Auto-reload failed',
  'auto_reload.skipped': 'Auto-reload skipped',
  'auto_reload.disabled': 'Auto-reload turned off',
  'balance.low': 'Balance is low',
  'spend_limit.warning': 'Spend limit almost reached',
  'spend_limit.reached': 'Spend limit reached',
  'allowance.warning': 'Plan allowance nearly used',
  'allowance.exhausted': 'Plan allowance used up',
  'allowance.reset': 'Plan allowance reset',
  'extra_usage.started': 'Extra usage started paying',
  'plan.lapsing': 'Plan is about to lapse',
  'plan.lapsed': 'Plan lapsed',
  'member.invited': 'Member invited',
  'member.joined': 'Member joined',
  'webhook_endpoint.disabled': 'Webhook endpoint disabled',
  'payment.disputed': 'Payment disputed',
} as const satisfies Record<EventType, string>;

export const EVENT_TYPE_LIST = Object.keys(EVENT_TITLES) as EventType[];

export const eventTitle = (type: string): string => (EVENT_TITLES as Record<string, string>)[type] ?? type;

const SKIP_WORDS: Record<string, string> = {
  extra_usage_off: 'extra usage is off',
  no_payment_method: 'there is no card on file',
  in_flight: 'another reload was already under way',
  daily_cap: "it would pass today's purchase cap",
  limit: 'it would go past the monthly spend limit',
};

/** What the page knows now that an event's words depend on. */
export interface NoticeContext {
  extra_usage_on?: boolean | undefined;
}

type Payload = Record<string, unknown>;
const money = (p: Payload, key: string) => (typeof p[key] === 'number' ? usd(p[key] as number) : '');
const text = (p: Payload, key: string) => (typeof p[key] === 'string' ? (p[key] as string) : '');
/** The share a warning was sent at, as the server said it (an event from before it said so: the threshold it used then, 80%). */
const percentOf = (p: Payload) => `${typeof p.warning_percent === 'number' ? p.warning_percent : 80}%`;
const WINDOW_NAMES: Record<string, string> = { cycle: 'billing-cycle', rolling_5h: '5-hour', weekly: 'weekly' };
const windowName = (p: Payload) => WINDOW_NAMES[text(p, 'window')] ?? text(p, 'window').replace(/_/g, ' ');
const tokensOf = (p: Payload) =>
  typeof p.used_tokens === 'number' && typeof p.limit_tokens === 'number' ? ` (${tokens(p.used_tokens)} of ${tokens(p.limit_tokens)} tokens)` : '';
const resets = (p: Payload) => (text(p, 'resets_at') ? ` until the ${windowName(p)} window resets ${when(text(p, 'resets_at'))}` : '');
const at = (p: Payload, key: string) => (text(p, key) ? when(text(p, key)) : 'soon');

/** One line a person reads: what happened, with its figures, and what follows from it. */
export function describeEvent(e: EventBody, ctx: NoticeContext = {}): string {
  const p = e.payload;
  switch (e.type) {
    case 'credits.purchased':
      return `Bought ${money(p, 'amount_micros')} of extra usage credits`;
    case 'credits.refunded':
      return `Refund of ${money(p, 'amount_micros')} to the card it was paid with${text(p, 'made_at') === 'provider' ? ', made at the payment provider' : ''}${Number(p.owed_micros ?? 0) > 0 ? `; the balance now owes ${money(p, 'owed_micros')}` : ''}`;
    case 'grant.added':
      return `${money(p, 'amount_micros')} of promotional credit granted${text(p, 'expires_at') ? `, expiring ${when(text(p, 'expires_at'))}` : ', with no expiry'}`;
    case 'grant.expired':
      return `${money(p, 'amount_micros')} of promotional credit expired unused`;
    case 'auto_reload.fired':
      return `Auto-reload is charging the card ${money(p, 'amount_micros')}`;
    case 'auto_reload.succeeded':
      return `Auto-reload added ${money(p, 'amount_micros')}`;
    case 'auto_reload.failed':
      return `Auto-reload failed${typeof p.attempt === 'number' ? ` (attempt ${p.attempt})` : ''}: ${cardFailure(text(p, 'reason') || 'not charged')}; ${p.retried === false ? 'auto-reload is now off' : 'it is tried again'}`;
    case 'auto_reload.skipped':
      return `Auto-reload skipped: ${SKIP_WORDS[text(p, 'reason')] ?? text(p, 'reason').replace(/_/g, ' ')}`;
    case 'auto_reload.disabled':
      return `Auto-reload turned itself off${typeof p.attempts === 'number' ? ` after ${p.attempts} failed attempts` : ''}: ${cardFailure(text(p, 'reason') || 'not charged')}`;
    case 'balance.low':
      return `Balance below ${money(p, 'threshold_micros')} (${money(p, 'balance_micros')} left)${p.auto_reload_enabled === true ? '; auto-reload tops it up' : '; add credits or turn auto-reload on'}`;
    case 'spend_limit.warning':
      return `${percentOf(p)} of the monthly spend limit used: ${money(p, 'spent_micros')} of ${money(p, 'limit_micros')}`;
    case 'spend_limit.reached':
      return `Monthly spend limit reached: ${money(p, 'spent_micros')} of ${money(p, 'limit_micros')}; extra usage stops until ${at(p, 'cycle_end')}`;
    case 'allowance.warning':
      return `${percentOf(p)} of the ${windowName(p)} plan allowance used${tokensOf(p)}`;
    case 'allowance.exhausted':
      return ctx.extra_usage_on === false
        ? `Plan allowance used up${resets(p) || ` (${windowName(p)})`}; extra usage is off, so first-party requests wait`
        : `Plan allowance used up; extra usage now pays${resets(p) || ` (${windowName(p)} window)`}`;
    case 'allowance.reset':
      return `The ${windowName(p)} plan allowance started again${typeof p.previous_used_tokens === 'number' ? ` (the last one used ${tokens(p.previous_used_tokens)} tokens)` : ''}`;
    case 'extra_usage.started':
      return 'Extra usage started paying for requests';
    case 'plan.lapsing':
      return `The plan lapses ${at(p, 'lapses_at')}; the ${money(p, 'balance_micros')} balance is kept, frozen and refundable`;
    case 'plan.lapsed':
      return `The plan lapsed; the ${money(p, 'balance_micros')} balance is kept, frozen and refundable`;
    case 'member.invited':
      return `${text(p, 'email')} invited as ${text(p, 'role') || 'member'}`;
    case 'member.joined':
      return `${text(p, 'email')} joined as ${text(p, 'role') || 'member'}`;
    case 'webhook_endpoint.disabled':
      return `Webhook endpoint ${text(p, 'url')} disabled${text(p, 'reason') ? `: ${text(p, 'reason')}` : ''}`;
    case 'payment.disputed':
      return `The payment of ${money(p, 'amount_micros')} for purchase ${text(p, 'purchase_id')} was disputed with the bank${text(p, 'reason') ? ` (${text(p, 'reason').replace(/_/g, ' ')})` : ''}${p.auto_reload_turned_off === true ? '; auto-reload is off until you turn it on again' : ''}`;
  }
  return eventTitle(e.type);
}
