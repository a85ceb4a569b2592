// The API console: one API organization as its admin, billing member or developer sees it —
// credits, API keys (the secret shown once), usage by key, limits and tier. Roles are the API's:
// a section offers only what the caller's role may do, and a refusal is shown as the API said it.
import { useState } from 'react';
import type { ApiKeyBody, ApiKeyCreatedBody, ApiKeyListBody, OrgBody, OrgSummaryBody, OrgUsageBody } from '../../src/contract/orgs';
import type { CreditsBody, PaymentMethodBody } from '../../src/contract/views';
import { api, ApiError, newKey } from './api';
import { ConfirmPayment, pendingPaymentOf, type PendingPayment } from './confirm-payment';
import { parseUsd, tokens, usd } from './money';
import { mayBill, OrgAutoReload, OrgOf, OrgMembers, OrgSpendLimit, OrgTransactions, type Role } from './org-settings';
import { Body, Done, Problem, Section, useLoad, useSubmit } from './ui';
import { when } from './time';

const ROLE_WORDS: Record<Role, string> = { admin: 'admin', billing: 'billing', developer: 'developer' };
/** A key's moments in the viewer's time zone, like the rest of the page; 'never' for one that did not happen. */
const whenOrNever = (iso: string | null) => (iso ? when(iso) : 'never');

export function OrgConsole({ orgs }: { orgs: OrgSummaryBody[] }) {
  const [org_id, setOrg] = useState(orgs[0]?.id ?? '');
  const summary = orgs.find((o) => o.id === org_id);
  if (!summary) return <p>You do not belong to any API organization. Ask an organization admin to add you.</p>;
  const role: Role = summary.role ?? 'developer';
  return (
    <section aria-labelledby="console-title" className="wide">
      <h2 id="console-title">Organization</h2>
      <label className="field">
        Organization
        <select value={org_id} onChange={(e) => setOrg(e.target.value)}>
          {orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name} ({o.role ?? 'developer'})
            </option>
          ))}
        </select>
      </label>
      <p className="showing" role="status" data-testid="org-showing">
        Showing organization <strong>{summary.name}</strong> · you are {ROLE_WORDS[role]}
      </p>
      <OrgPage key={org_id} org_id={org_id} org_name={summary.name} role={role} />
    </section>
  );
}

function OrgPage({ org_id, org_name, role }: { org_id: string; org_name: string; role: Role }) {
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const base = `/v1/orgs/${org_id}`;
  const key = `${org_id}|${version}`;
  const org = useLoad(() => api<OrgBody>('GET', base), key);
  const keys = useLoad(() => api<ApiKeyListBody>('GET', `${base}/keys`), key);
  return (
    <div className="grid">
      <OrgCredits base={base} org_name={org_name} role={role} org={org} changed={changed} />
      <OrgLimits org_name={org_name} org={org} />
      <OrgSpendLimit base={base} org_name={org_name} role={role} org={org} changed={changed} />
      <OrgAutoReload base={base} org_name={org_name} role={role} org={org} changed={changed} />
      <div className="wide">
        <OrgKeys base={base} org_name={org_name} role={role} keys={keys} changed={changed} />
      </div>
      <div className="wide">
        <OrgUsage base={base} org_name={org_name} keys={keys.data?.data ?? []} version={version} />
      </div>
      <div className="wide">
        <OrgMembers base={base} org_name={org_name} role={role} />
      </div>
      <div className="wide">
        <OrgTransactions base={base} org_name={org_name} version={version} />
      </div>
    </div>
  );
}

function OrgCredits(props: { base: string; org_name: string; role: Role; org: ReturnType<typeof useLoad<OrgBody>>; changed: () => void }) {
  const { base, role, org, changed } = props;
  const [amount, setAmount] = useState('20');
  const [card, setCard] = useState('tok_visa');
  const [idem, setIdem] = useState(newKey);
  const [pending, setPending] = useState<PendingPayment | null>(null);
  const [confirmed, setConfirmed] = useState<CreditsBody | null>(null);
  const buy = useSubmit(async () => {
    setPending(null);
    setConfirmed(null);
    const amount_micros = parseUsd(amount);
    if (amount_micros === null) throw new Error('Type an amount in dollars, like 20 or 20.50.');
    try {
      const r = await api<unknown>('POST', `${base}/credits`, { amount_micros }, { idempotency_key: idem });
      setIdem(newKey());
      changed();
      return r;
    } catch (err) {
      // The bank wants the person to confirm (3-D Secure): the purchase waits for them, at the org's confirm path.
      const waiting = err instanceof ApiError && err.type === 'authentication_required' ? pendingPaymentOf(err.figures) : null;
      if (!waiting) throw err;
      setIdem(newKey());
      setPending(waiting);
      return null;
    }
  });
  const onConfirmed = (r: CreditsBody) => {
    setPending(null);
    setConfirmed(r);
    changed();
  };
  const addCard = useSubmit(async () => {
    const r = await api<PaymentMethodBody>('POST', `${base}/payment-methods`, { token: card.trim() });
    changed();
    return r;
  });
  return (
    <Section title="API credits" id="org-credits">
      <OrgOf name={props.org_name} what="API credits" />
      <Body loaded={org} what="the organization">
        {(o) => (
          <>
            <dl className="facts">
              <dt>Balance</dt>
              <dd data-testid="org-balance">{usd(o.credit_balance_micros)}</dd>
              <dt>Held</dt>
              <dd>{usd(o.held_micros)}</dd>
              <dt>Available</dt>
              <dd data-testid="org-available">{usd(o.available_micros)}</dd>
            </dl>
            {!mayBill(role) ? (
              <p className="muted small">Buying credits and adding cards needs the billing or admin role; you are {role}.</p>
            ) : (
              <>
                {!o.has_payment_method ? (
                  <form onSubmit={addCard.submit} aria-label="Add a card">
                    <label className="field">
                      Card token (test)
                      <input value={card} onChange={(e) => setCard(e.target.value)} required />
                    </label>
                    <button type="submit" disabled={addCard.busy}>
                      Add card
                    </button>
                    <Problem error={addCard.problem} title="Card not added" />
                  </form>
                ) : null}
                <form onSubmit={buy.submit} aria-label="Buy API credits">
                  <label className="field">
                    Amount (USD)
                    <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} required />
                  </label>
                  <button type="submit" className="primary" disabled={buy.busy || !o.has_payment_method}>
                    {buy.busy ? 'Buying…' : 'Buy credits'}
                  </button>
                  <Problem error={buy.problem} title="Credits not bought" />
                  {buy.done && !pending && !confirmed ? <Done>Credits bought with the card on file.</Done> : null}
                  {pending ? <ConfirmPayment pending={pending} as_operator={false} done={onConfirmed} /> : null}
                  {confirmed ? <Done>Payment confirmed: {usd(confirmed.amount_micros)} of API credits added.</Done> : null}
                </form>
              </>
            )}
          </>
        )}
      </Body>
    </Section>
  );
}

function OrgLimits({ org_name, org }: { org_name: string; org: ReturnType<typeof useLoad<OrgBody>> }) {
  return (
    <Section title="Limits and tier" id="org-limits">
      <OrgOf name={org_name} what="Limits and tier" />
      <Body loaded={org} what="limits">
        {(o) => (
          <dl className="facts">
            <dt>Tier</dt>
            <dd data-testid="org-tier">Tier {o.tier.tier}</dd>
            <dt>Next tier</dt>
            <dd>{o.tier.next ? `Tier ${o.tier.next.tier} after ${usd(o.tier.next.remaining_micros)} more bought` : 'highest tier'}</dd>
            <dt>Requests/min</dt>
            <dd>{o.limits.requests_per_minute.toLocaleString('en-US')}</dd>
            <dt>Input tokens/min</dt>
            <dd>{tokens(o.limits.input_tokens_per_minute)}</dd>
            <dt>Output tokens/min</dt>
            <dd>{tokens(o.limits.output_tokens_per_minute)}</dd>
            <dt>Monthly limit</dt>
            <dd>
              {o.monthly_limit_micros === null ? 'none' : usd(o.monthly_limit_micros)} · spent {usd(o.spent_this_month_micros)} this month
            </dd>
          </dl>
        )}
      </Body>
    </Section>
  );
}

function OrgKeys(props: { base: string; org_name: string; role: Role; keys: ReturnType<typeof useLoad<ApiKeyListBody>>; changed: () => void }) {
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [copied, setCopied] = useState(false);
  const create = useSubmit(async () => {
    const monthly_limit_micros = limit.trim() === '' ? null : parseUsd(limit);
    if (limit.trim() !== '' && monthly_limit_micros === null) throw new Error('Type the monthly limit in dollars, or leave it empty.');
    setCopied(false);
    const k = await api<ApiKeyCreatedBody>('POST', `${props.base}/keys`, { name: name.trim(), monthly_limit_micros });
    setName('');
    props.changed();
    return k;
  });
  const secret = create.done?.secret;
  return (
    <Section title="API keys" id="org-keys">
      <OrgOf name={props.org_name} what="API keys" />
      {props.role === 'admin' ? (
        <form onSubmit={create.submit} aria-label="Create an API key">
          <label className="field">
            Key name
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          </label>
          <label className="field">
            Monthly limit (USD, optional)
            <input inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={create.busy}>
            Create key
          </button>
          <Problem error={create.problem} title="Key not created" />
        </form>
      ) : (
        <p className="muted small">Creating and revoking keys needs the admin role; you are {props.role}.</p>
      )}
      {secret ? (
        <div className="done" role="status" aria-label="New API key secret">
          <p>
            <strong>Copy this key now: you will not see it again.</strong>
          </p>
          <code data-testid="key-secret" style={{ wordBreak: 'break-all' }}>
            {secret}
          </code>{' '}
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard?.writeText(secret).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      ) : null}
      <Body loaded={props.keys} what="API keys">
        {(list) => (
          <div className="scroll-x" role="region" aria-label="API keys table" tabIndex={0}>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Prefix</th>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Limit</th>
                  <th scope="col">Spent this month</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((k) => (
                  <KeyRow key={k.id} k={k} role={props.role} base={props.base} changed={props.changed} />
                ))}
              </tbody>
            </table>
            {list.data.length === 0 ? <p className="muted">No keys yet.</p> : null}
          </div>
        )}
      </Body>
    </Section>
  );
}

function KeyRow({ k, role, base, changed }: { k: ApiKeyBody; role: Role; base: string; changed: () => void }) {
  const [revoking, setRevoking] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const revoke = async () => {
    setProblem(undefined);
    try {
      await api('DELETE', `${base}/keys/${k.id}`);
      setRevoking(false);
      changed();
    } catch (e) {
      setProblem(e);
    }
  };
  return (
    <tr data-testid={`key-${k.name}`}>
      <td>
        <code>{k.prefix}…</code>
      </td>
      <td>{k.name}</td>
      <td>{when(k.created_at)}</td>
      <td data-testid="key-last-used">{whenOrNever(k.last_used_at)}</td>
      <td>{k.monthly_limit_micros === null ? 'none' : usd(k.monthly_limit_micros)}</td>
      <td>{usd(k.spent_this_month_micros)}</td>
      <td>
        {k.revoked_at ? (
          `revoked ${whenOrNever(k.revoked_at)}`
        ) : role !== 'admin' ? (
          'active'
        ) : revoking ? (
          <>
            Revoke {k.name}? Requests with it are refused at once.{' '}
            <button type="button" className="danger" onClick={() => void revoke()}>
              Yes, revoke
            </button>{' '}
            <button type="button" onClick={() => setRevoking(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setRevoking(true)} aria-label={`Revoke ${k.name}`}>
            Revoke
          </button>
        )}
        <Problem error={problem} title="Key not revoked" />
      </td>
    </tr>
  );
}

function OrgUsage({ base, org_name, keys, version }: { base: string; org_name: string; keys: ApiKeyBody[]; version: number }) {
  const [granularity, setGranularity] = useState<'day' | 'month'>('day');
  const usage = useLoad(() => api<OrgUsageBody>('GET', `${base}/usage?group_by=key&granularity=${granularity}`), `${base}|${granularity}|${version}`);
  const name = (id: string | null) => keys.find((k) => k.id === id)?.name ?? id ?? '—';
  return (
    <Section
      title="Usage by key"
      id="org-usage"
      aside={
        <label className="field">
          By
          <select value={granularity} onChange={(e) => setGranularity(e.target.value as 'day' | 'month')}>
            <option value="day">day</option>
            <option value="month">month</option>
          </select>
        </label>
      }
    >
      <OrgOf name={org_name} what="Usage by key" />
      <Body loaded={usage} what="usage">
        {(u) => (
          <div className="scroll-x" role="region" aria-label="Usage by key table" tabIndex={0}>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">{granularity === 'day' ? 'Day' : 'Month'}</th>
                  <th scope="col">Key</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Input tokens</th>
                  <th scope="col">Output tokens</th>
                  <th scope="col">Cost</th>
                </tr>
              </thead>
              <tbody>
                {u.buckets.map((b) => (
                  <tr key={`${b.start}|${b.group}`} data-testid="usage-row">
                    <td>{b.start.slice(0, granularity === 'day' ? 10 : 7)}</td>
                    <td>{name(b.group)}</td>
                    <td>{b.requests}</td>
                    <td>{tokens(b.input_tokens)}</td>
                    <td>{tokens(b.output_tokens)}</td>
                    <td>{usd(b.cost_micros)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="small">
              {u.from} to {u.to}: {u.totals.requests} requests, {usd(u.totals.cost_micros)}
            </p>
          </div>
        )}
      </Body>
    </Section>
  );
}
