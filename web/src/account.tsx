// One account's usage page: plan, extra usage (balance, credits, cards, limit, auto-reload),
// the forecast. Money controls only for owners and billing members.
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ExtraUsageBody } from '../../src/contract/schemas';
import type { AccountBody, CatalogBodyView, CreditsBody, PaymentMethodBody } from '../../src/contract/views';
import { api, ApiError, newKey } from './api';
import { dollars, parseUsd, percent, tokens, usd, usdInput, usdShort } from './money';
import { day, fromNow, when } from './time';
import { Bar, Body, Done, Problem, ReloadFields, Section, type Loaded } from './ui';
import { ConfirmPayment, pendingPaymentOf, type PendingPayment } from './confirm-payment';
import { reloadEventWords, TEST_CARDS, WINDOW_WORDS } from './words';

export interface Caller {
  /** As which principal the calls go: the signed-in person (cookie) or the operator token. */
  as_operator: boolean;
  can_money: boolean;
  /** Refunds to the card: the owner and the operator only (SPEC §1.7). */
  can_refund: boolean;
}

const call = <T,>(caller: Caller, method: string, path: string, body?: unknown, key?: string) =>
  api<T>(method, path, body, { as_operator: caller.as_operator, ...(key ? { idempotency_key: key } : {}) });

export function PlanSection({ account, catalog }: { account: Loaded<AccountBody>; catalog: Loaded<CatalogBodyView> }) {
  return (
    <Section title="Plan" id="plan">
      <Body loaded={account} what="the plan" lines={5}>
        {(a) => (
          <>
            <p className="lead">
              {a.plan ? (
                <>
                  <strong>{a.plan.name}</strong> · {usd(a.plan.price_micros)} {a.plan.per_seat ? `per seat (${a.seats} seats)` : ''} a month · {a.plan_status}
                </>
              ) : (
                'No plan'
              )}
            </p>
            <p className="muted">
              Cycle {day(a.cycle_start)} – {day(a.cycle_end)}
              {a.cancel_at ? ` · cancels ${day(a.cancel_at)}` : ''}
            </p>
            {a.windows.length === 0 ? <p className="muted">This plan has no allowance windows.</p> : null}
            <ul className="windows">
              {a.windows.map((w) => (
                <li key={`${w.kind}-${w.seat ?? ''}`}>
                  <div className="row-between">
                    <span>{WINDOW_WORDS[w.kind] ?? w.kind}</span>
                    <span>
                      {tokens(w.used)} / {tokens(w.limit)} tokens ({percent(w.used, w.limit)}%)
                    </span>
                  </div>
                  <Bar value={w.used} max={w.limit} label={`${WINDOW_WORDS[w.kind] ?? w.kind} allowance used`} />
                  <div className="muted small">
                    {w.resets_at ? `Resets ${when(w.resets_at)} (${fromNow(w.resets_at)})` : 'Opens at your next request and lasts 5 hours'}
                  </div>
                </li>
              ))}
            </ul>
            {catalog.data ? <AppsPolicy catalog={catalog.data} /> : null}
          </>
        )}
      </Body>
    </Section>
  );
}

function AppsPolicy({ catalog }: { catalog: CatalogBodyView }) {
  const first = catalog.apps.filter((a) => a.kind === 'first_party').map((a) => a.id);
  const third = catalog.apps.filter((a) => a.kind === 'third_party').map((a) => a.id);
  return (
    <div className="policy">
      <div>
        <strong>Draw on the plan first:</strong> {first.join(', ')} <span className="muted">(then extra usage, if on)</span>
      </div>
      <div>
        <strong>Extra usage only:</strong> {third.join(', ')} <span className="muted">(even when the plan has room)</span>
      </div>
    </div>
  );
}

export function ExtraUsageSection(props: {
  account_id: string;
  caller: Caller;
  extra: Loaded<ExtraUsageBody>;
  cards: Loaded<{ data: PaymentMethodBody[] }> | null;
  changed: () => void;
}) {
  const { extra, caller } = props;
  const [problem, setProblem] = useState<unknown>(undefined);
  const toggle = async (enabled: boolean) => {
    setProblem(undefined);
    try {
      await call(caller, 'PATCH', `/v1/accounts/${props.account_id}/extra-usage`, { enabled });
      props.changed();
    } catch (e) {
      setProblem(e);
    }
  };
  return (
    <Section
      title="Extra usage"
      id="extra-usage"
      aside={
        extra.data ? (
          caller.can_money ? (
            <label className="switch">
              <input type="checkbox" role="switch" checked={extra.data.enabled} onChange={(e) => void toggle(e.target.checked)} /> Extra usage{' '}
              {extra.data.enabled ? 'on' : 'off'}
            </label>
          ) : (
            <span className={`pill ${extra.data.enabled ? 'on' : ''}`}>{extra.data.enabled ? 'On' : 'Off'}</span>
          )
        ) : null
      }
    >
      <Problem error={problem} />
      <Body loaded={extra} what="the balance" lines={4}>
        {(x) => (
          <>
            <div className="balance">
              <div>
                <div className="muted small">Balance</div>
                <div className="big" data-testid="balance">
                  {usd(x.balance_micros)}
                </div>
              </div>
              <dl className="parts">
                <dt>Purchased</dt>
                <dd>{usd(x.purchased_micros)}</dd>
                <dt>Promotional</dt>
                <dd>{usd(x.promotional_micros)}</dd>
                <dt>Held for requests in progress</dt>
                <dd>{usd(x.held_micros)}</dd>
                <dt>Available</dt>
                <dd data-testid="available">{usd(x.available_micros)}</dd>
              </dl>
            </div>
            {!caller.can_money && !caller.as_operator ? (
              <p className="muted">You are a member of this account: you see its usage; an owner or billing member adds credits and sets limits.</p>
            ) : null}
          </>
        )}
      </Body>
      {caller.can_money && props.cards ? <AddCredits {...props} cards={props.cards} /> : null}
      {caller.can_money && props.cards ? <Cards {...props} cards={props.cards} /> : null}
    </Section>
  );
}

const PRESETS = [10, 20, 50, 100].map(dollars);

function AddCredits(props: { account_id: string; caller: Caller; cards: Loaded<{ data: PaymentMethodBody[] }>; changed: () => void }) {
  const [preset, setPreset] = useState<number | 'custom'>(PRESETS[1]!);
  const [custom, setCustom] = useState('');
  const [card, setCard] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CreditsBody | undefined>(undefined);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [pending, setPending] = useState<PendingPayment | null>(null);
  const ids = useId();
  const cards = props.cards.data?.data ?? [];
  // A newly added card becomes the default: the choice follows it.
  useEffect(() => setCard(''), [props.cards.data]);
  const chosen = card || cards.find((c) => c.default)?.id || cards[0]?.id || '';
  const amount = preset === 'custom' ? parseUsd(custom) : preset;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult(undefined);
    setProblem(undefined);
    setPending(null);
    if (amount === null) return setProblem(new Error('Type an amount in dollars, e.g. 25 or 12.50.'));
    setBusy(true);
    try {
      const r = await call<CreditsBody>(
        props.caller,
        'POST',
        `/v1/accounts/${props.account_id}/extra-usage/credits`,
        { amount_micros: amount, ...(chosen ? { payment_method_id: chosen } : {}) },
        newKey(),
      );
      setResult(r);
      props.changed();
    } catch (err) {
      // The bank wants the person to confirm (3-D Secure): the purchase waits for them.
      const waiting = err instanceof ApiError && err.type === 'authentication_required' ? pendingPaymentOf(err.figures) : null;
      if (waiting) setPending(waiting);
      else setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  const confirmed = (r: CreditsBody) => {
    setPending(null);
    setResult(r);
    props.changed();
  };
  return (
    <form className="subform" onSubmit={submit} aria-labelledby={`${ids}-h`}>
      <h3 id={`${ids}-h`}>Add credits</h3>
      <fieldset className="presets">
        <legend>Amount</legend>
        {PRESETS.map((p) => (
          <label key={p} className={`chip ${preset === p ? 'chosen' : ''}`}>
            <input type="radio" name={`${ids}-amount`} checked={preset === p} onChange={() => setPreset(p)} /> {usdShort(p)}
          </label>
        ))}
        <label className={`chip ${preset === 'custom' ? 'chosen' : ''}`}>
          <input type="radio" name={`${ids}-amount`} checked={preset === 'custom'} onChange={() => setPreset('custom')} /> Other
        </label>
      </fieldset>
      {preset === 'custom' ? (
        <label className="field">
          Custom amount (USD)
          <input inputMode="decimal" value={custom} onChange={(e) => setCustom(e.target.value)} placeholder="25.00" autoFocus />
        </label>
      ) : null}
      <label className="field">
        Pay with
        <select value={chosen} onChange={(e) => setCard(e.target.value)} disabled={cards.length === 0}>
          {cards.length === 0 ? <option value="">No card on file: add one below</option> : null}
          {cards.map((c) => (
            <option key={c.id} value={c.id}>
              {c.brand} ending {c.last4} (exp {String(c.exp_month).padStart(2, '0')}/{c.exp_year}){c.default ? ' · default' : ''}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Charging…' : `Add ${amount === null ? 'credits' : usd(amount)}`}
      </button>
      {result ? (
        <Done>
          Added {usd(result.amount_micros)} to your extra usage. New balance: {usd(result.balance_micros)}.
        </Done>
      ) : null}
      {pending ? <ConfirmPayment pending={pending} as_operator={props.caller.as_operator} done={confirmed} /> : null}
      <Problem error={problem} title="Not added" />
    </form>
  );
}

function Cards(props: { account_id: string; caller: Caller; cards: Loaded<{ data: PaymentMethodBody[] }>; changed: () => void }) {
  const [token, setToken] = useState('tok_visa');
  const [problem, setProblem] = useState<unknown>(undefined);
  const [added, setAdded] = useState<PaymentMethodBody | undefined>(undefined);
  const ids = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setAdded(undefined);
    try {
      const card = await call<PaymentMethodBody>(props.caller, 'POST', `/v1/accounts/${props.account_id}/payment-methods`, { token: token.trim() });
      setAdded(card);
      props.cards.reload();
      props.changed();
    } catch (err) {
      setProblem(err);
    }
  };
  return (
    <div className="subform">
      <h3>Cards on file</h3>
      <Body loaded={props.cards} what="cards">
        {(c) =>
          c.data.length === 0 ? (
            <p className="muted">No card on file yet.</p>
          ) : (
            <ul className="plain">
              {c.data.map((m) => (
                <li key={m.id}>
                  {m.brand} ending {m.last4}, expires {String(m.exp_month).padStart(2, '0')}/{m.exp_year}{' '}
                  {m.default ? <span className="pill">default</span> : null}
                </li>
              ))}
            </ul>
          )
        }
      </Body>
      <form onSubmit={submit} className="inline-form">
        <label className="field">
          Card token (sandbox)
          <input list={`${ids}-tokens`} value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" spellCheck={false} />
          <datalist id={`${ids}-tokens`}>
            {TEST_CARDS.map((t) => (
              <option key={t.token} value={t.token}>
                {t.label}
              </option>
            ))}
          </datalist>
        </label>
        <button type="submit">Add card</button>
      </form>
      <p className="muted small">
        Sandbox test tokens: {TEST_CARDS.map((t) => `${t.token} (${t.label.toLowerCase()})`).join(', ')}. Card numbers never reach Tokenbank.
      </p>
      {added ? (
        <Done>
          Added {added.brand} ending {added.last4}; it is now the default card.
        </Done>
      ) : null}
      <Problem error={problem} title="Card not added" />
    </div>
  );
}

export function LimitSection(props: { account_id: string; caller: Caller; extra: Loaded<ExtraUsageBody>; changed: () => void }) {
  const [text, setText] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const save = async (limit: number | null) => {
    setProblem(undefined);
    setDone(undefined);
    try {
      await call(props.caller, 'PATCH', `/v1/accounts/${props.account_id}/extra-usage`, { monthly_spend_limit_micros: limit });
      setDone(limit === null ? 'The monthly spend limit is now unlimited.' : `The monthly spend limit is now ${usd(limit)}.`);
      setConfirming(false);
      setText('');
      props.changed();
    } catch (e) {
      setProblem(e);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const micros = parseUsd(text);
    if (micros === null) return setProblem(new Error('Type the limit in dollars, e.g. 50 or 75.50.'));
    void save(micros);
  };
  return (
    <Section title="Monthly spend limit" id="limit">
      <Body loaded={props.extra} what="the spend limit" lines={3}>
        {(x) => {
          const limit = x.monthly_spend_limit_micros;
          const counted = x.spent_this_cycle_micros;
          return (
            <>
              <div className="row-between">
                <span>
                  <strong data-testid="spent">{usd(counted)}</strong> spent of{' '}
                  {limit === null ? <strong>no limit (unlimited)</strong> : <strong data-testid="limit">{usd(limit)}</strong>}
                  {limit !== null ? ` · ${percent(counted, limit)}%` : ''}
                </span>
                <span className="muted small">Resets on {day(x.cycle_end)}</span>
              </div>
              {limit !== null ? <Bar value={counted} max={limit} label="Monthly spend limit used" /> : <div className="bar unlimited" aria-hidden="true" />}
              {x.held_micros + x.late_held_micros > 0 ? (
                <p className="muted small">Plus {usd(x.held_micros + x.late_held_micros)} held for requests in progress, counted against the limit.</p>
              ) : null}
            </>
          );
        }}
      </Body>
      {props.caller.can_money ? (
        <>
          <form className="inline-form" onSubmit={submit}>
            <label className="field">
              New monthly limit (USD)
              <input
                inputMode="decimal"
                value={text}
                onChange={(e) => setText(e.target.value)}
                placeholder={props.extra.data?.monthly_spend_limit_micros ? usdInput(props.extra.data.monthly_spend_limit_micros) : '50.00'}
              />
            </label>
            <button type="submit">Set limit</button>
            <button type="button" onClick={() => setConfirming(true)}>
              Make it unlimited…
            </button>
          </form>
          {confirming ? (
            <div className="confirm" role="alertdialog" aria-labelledby="unlimited-q" aria-describedby="unlimited-why">
              <p id="unlimited-q">
                <strong>Remove the monthly cap?</strong>
              </p>
              <p id="unlimited-why">
                With no limit, extra usage (and auto-reload, when on) can spend without a ceiling during heavy sessions. You can set a limit again at any time.
              </p>
              <button type="button" className="danger" onClick={() => void save(null)}>
                Yes, remove the limit
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)} autoFocus>
                Keep a limit
              </button>
            </div>
          ) : null}
          {done ? <Done>{done}</Done> : null}
          <Problem error={problem} title="Limit not changed" />
        </>
      ) : null}
    </Section>
  );
}

export function AutoReloadSection(props: { account_id: string; caller: Caller; extra: Loaded<ExtraUsageBody>; changed: () => void }) {
  const x = props.extra.data;
  const [enabled, setEnabled] = useState<boolean | undefined>(undefined);
  const [amount, setAmount] = useState<string | undefined>(undefined);
  const [threshold, setThreshold] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const on = enabled ?? x?.auto_reload.enabled ?? false;
  const amount_text = amount ?? (x?.auto_reload.amount_micros ? usdInput(x.auto_reload.amount_micros) : '20.00');
  const threshold_text =
    threshold ??
    (x?.auto_reload.threshold_micros !== null && x?.auto_reload.threshold_micros !== undefined ? usdInput(x.auto_reload.threshold_micros) : '5.00');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setDone(undefined);
    const a = parseUsd(amount_text);
    const t = parseUsd(threshold_text);
    if (a === null || t === null) return setProblem(new Error('Type both amounts in dollars, e.g. 20 and 5.'));
    try {
      await call(props.caller, 'PATCH', `/v1/accounts/${props.account_id}/extra-usage`, {
        auto_reload: { enabled: on, amount_micros: a, threshold_micros: t },
      });
      setDone(on ? `Auto-reload is on: ${usd(a)} whenever the available balance falls below ${usd(t)}.` : 'Auto-reload is off.');
      setEnabled(undefined);
      setAmount(undefined);
      setThreshold(undefined);
      props.changed();
    } catch (err) {
      setProblem(err);
    }
  };
  const last = x ? reloadEventWords(x) : null;
  return (
    <Section title="Auto-reload" id="auto-reload">
      <Body loaded={props.extra} what="auto-reload" lines={2}>
        {(v) => (
          <p>
            {v.auto_reload.enabled && v.auto_reload.amount_micros !== null && v.auto_reload.threshold_micros !== null
              ? `On: adds ${usd(v.auto_reload.amount_micros)} when the available balance falls below ${usd(v.auto_reload.threshold_micros)}, unless that would pass the monthly limit.`
              : 'Off: the balance is topped up only when you add credits.'}
            <br />
            <span className="muted" data-testid="reload-last">
              Last: {last && v.auto_reload.last_event ? `${last} (${when(v.auto_reload.last_event.at)})` : 'never fired'}
            </span>
          </p>
        )}
      </Body>
      {props.caller.can_money && x ? (
        <form className="inline-form" onSubmit={submit}>
          <ReloadFields
            on={on}
            setOn={setEnabled}
            amount={amount_text}
            setAmount={setAmount}
            threshold={threshold_text}
            setThreshold={setThreshold}
            what="balance falls"
          />
          <button type="submit">Save auto-reload</button>
          {done ? <Done>{done}</Done> : null}
          <Problem error={problem} title="Auto-reload not saved" />
        </form>
      ) : null}
    </Section>
  );
}

/** The server's forecast (GET …/extra-usage `forecast`): when money runs out, and what to set. The page computes none of it. */
export function ForecastSection({ extra }: { extra: Loaded<ExtraUsageBody> }) {
  return (
    <Section title="Forecast" id="forecast">
      <Body loaded={extra} what="the forecast" lines={4}>
        {(x) => {
          const f = x.forecast;
          if (f.per_day_micros === 0)
            return (
              <p>
                No extra usage in the last {f.window_days} days: nothing to forecast. Your balance of {usd(x.available_micros)} stays as it is.
              </p>
            );
          const limit = x.monthly_spend_limit_micros;
          return (
            <>
              <p>
                Last {f.window_days} days: <strong>{usd(f.extra_usage_micros)}</strong> of extra usage, about <strong>{usd(f.per_day_micros)}</strong> a day.
              </p>
              <ul className="plain">
                <li>
                  At this pace your available balance runs out around{' '}
                  <strong>{f.runs_out_at === null ? 'more than a year from now' : day(f.runs_out_at)}</strong>.
                </li>
                <li>
                  {limit === null ? (
                    'There is no monthly limit to reach.'
                  ) : f.limit_reached_at !== null ? (
                    <>
                      The {usd(limit)} monthly limit is reached around <strong>{day(f.limit_reached_at)}</strong>, before the cycle resets.
                    </>
                  ) : (
                    <>
                      You stay under the {usd(limit)} limit this cycle (about {usd(f.projected_cycle_micros)} projected).
                    </>
                  )}
                </li>
                <li>
                  Suggested: auto-reload <strong>{usd(f.suggested_reload.amount_micros)}</strong> when below{' '}
                  <strong>{usd(f.suggested_reload.threshold_micros)}</strong>, and a monthly limit of <strong>{usd(f.suggested_limit_micros)}</strong>.
                </li>
              </ul>
            </>
          );
        }}
      </Body>
    </Section>
  );
}
