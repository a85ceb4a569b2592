// Money back and promotions: what is refundable and a refund to the card (the owner, or the
// operator), the refunds made, a campaign code to claim (owner or billing), and the promotional
// grants with what is left of each and when it expires.
import { useState, type FormEvent } from 'react';
import type { ExtraUsageBody } from '../../src/contract/schemas';
import type { ClaimResponseBody, GrantListBody, RefundBody, RefundResponseBody } from '../../src/contract/credits';
import type { Page } from '../../src/contract/views';
import { api, newKey } from './api';
import type { Caller } from './account';
import { parseUsd, usd } from './money';
import { when } from './time';
import { Body, Done, Problem, Section, useLoad, useSubmit, type Loaded } from './ui';

const call = <T,>(caller: Caller, method: string, path: string, body?: unknown, key?: string) =>
  api<T>(method, path, body, { as_operator: caller.as_operator, ...(key ? { idempotency_key: key } : {}) });

export function CreditsSection(props: { account_id: string; caller: Caller; extra: Loaded<ExtraUsageBody>; version: number; changed: () => void }) {
  const { account_id, caller } = props;
  const base = `/v1/accounts/${account_id}`;
  const key = `${account_id}|${props.version}`;
  const sees_refunds = caller.can_money || caller.as_operator;
  const refunds = useLoad(() => (sees_refunds ? call<Page<RefundBody>>(caller, 'GET', `${base}/refunds?limit=10`) : Promise.resolve(null)), key);
  const grants = useLoad(() => call<GrantListBody>(caller, 'GET', `${base}/grants`), key);
  return (
    <Section title="Refunds and promotions" id="credits">
      <Body loaded={props.extra} what="what is refundable" lines={2}>
        {(x) => (
          <p>
            Refundable now: <strong data-testid="refundable">{usd(x.refundable_micros)}</strong>{' '}
            <span className="muted small">
              (purchased {usd(x.purchased_micros)}, less {usd(x.held_micros)} held for requests in progress; promotional credit is never refunded)
            </span>
            {x.frozen ? (
              <span className="problem small" role="note">
                {' '}
                The balance is frozen: {x.frozen_reason ?? 'the plan is not active'}. It is kept, and refundable.
              </span>
            ) : null}
          </p>
        )}
      </Body>
      {caller.can_refund ? <RefundForm {...props} /> : null}
      {sees_refunds ? <RefundList refunds={refunds as Loaded<Page<RefundBody>>} /> : null}
      {caller.can_money && !caller.as_operator ? <ClaimForm {...props} /> : null}
      <GrantTable grants={grants} />
    </Section>
  );
}

function RefundForm(props: { account_id: string; caller: Caller; changed: () => void }) {
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<RefundResponseBody | undefined>(undefined);
  const [problem, setProblem] = useState<unknown>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setProblem(undefined);
    const micros = amount.trim() === '' ? null : parseUsd(amount);
    if (amount.trim() !== '' && micros === null)
      return setProblem(new Error('Type the amount in dollars, e.g. 10 or 12.50, or leave it empty for everything refundable.'));
    setBusy(true);
    try {
      const r = await call<RefundResponseBody>(
        props.caller,
        'POST',
        `/v1/accounts/${props.account_id}/refunds`,
        micros === null ? {} : { amount_micros: micros },
        newKey(),
      );
      setDone(r);
      setAmount('');
      props.changed();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="subform inline-form" onSubmit={submit}>
      <label className="field">
        Refund amount (USD, empty: everything refundable)
        <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="all" />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Refunding…' : 'Refund to the card'}
      </button>
      {done ? (
        <Done>
          {done.status === 'succeeded'
            ? `Refunded ${usd(done.refunded_micros)} to the card.`
            : done.status === 'pending'
              ? `Refund of ${usd(done.amount_micros)} started: the card provider has not answered yet; it finishes by itself.`
              : `The refund failed; nothing was taken from the balance.`}{' '}
          Balance now {usd(done.balance_micros)}, still refundable {usd(done.refundable_micros)}.
        </Done>
      ) : null}
      <Problem error={problem} title="Not refunded" />
    </form>
  );
}

function RefundList({ refunds }: { refunds: Loaded<Page<RefundBody>> }) {
  return (
    <div className="subform">
      <h3>Refunds</h3>
      <Body loaded={refunds} what="refunds">
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">No refunds yet.</p>
          ) : (
            <ul className="plain" data-testid="refunds">
              {page.data.map((r) => (
                <li key={r.id}>
                  {when(r.created_at)}: {usd(r.amount_micros)} · {r.status}
                  {r.parts.length > 1 ? ` · from ${r.parts.length} purchases` : ''}
                </li>
              ))}
            </ul>
          )
        }
      </Body>
    </div>
  );
}

function ClaimForm(props: { account_id: string; caller: Caller; changed: () => void }) {
  const [code, setCode] = useState('');
  const { done, problem, submit } = useSubmit(async () => {
    const claimed = await call<ClaimResponseBody>(props.caller, 'POST', `/v1/accounts/${props.account_id}/promotions/claim`, { code: code.trim() });
    setCode('');
    props.changed();
    return claimed;
  });
  return (
    <form className="subform inline-form" onSubmit={submit}>
      <label className="field">
        Promotion code
        <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} placeholder="WELCOME10" />
      </label>
      <button type="submit" disabled={code.trim() === ''}>
        Claim
      </button>
      {done ? (
        <Done>
          Code {done.code}: {usd(done.grant.amount_micros)} of promotional credit added
          {done.grant.expires_at ? `, expiring ${when(done.grant.expires_at)}` : ''}.
        </Done>
      ) : null}
      <Problem error={problem} title="Not claimed" />
    </form>
  );
}

function GrantTable({ grants }: { grants: Loaded<GrantListBody> }) {
  return (
    <div className="subform">
      <h3>Promotional credit</h3>
      <Body loaded={grants} what="promotional grants">
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">No promotional credit on this account.</p>
          ) : (
            <>
              <ul className="plain" data-testid="grants">
                {page.data.map((g) => (
                  <li key={g.id}>
                    {usd(g.remaining_micros)} left of {usd(g.amount_micros)} · {g.reason} ·{' '}
                    {g.expires_at ? `${g.live ? 'expires' : 'expired'} ${when(g.expires_at)}` : 'no expiry'}
                  </li>
                ))}
              </ul>
              {page.has_more ? (
                <p className="muted small">The oldest {page.data.length} grants are shown; the API pages through the rest (GET …/grants?cursor=).</p>
              ) : null}
            </>
          )
        }
      </Body>
    </div>
  );
}
