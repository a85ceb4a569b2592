// The API console's settings of one organization: its members (an admin invites someone by email
// with a role, gives a member another role or removes them; the API refuses to leave the org
// without an admin, in its words), its monthly limit against this month's spend and its
// auto-reload (admin or billing: PATCH /v1/orgs/{id}, updateOrg), and its transactions, paged by
// the API's cursor.
import { useState } from 'react';
import type { OrgBody, OrgMemberListBody, OrgSummaryBody } from '../../src/contract/orgs';
import type { InvitationBody, MemberChangedBody } from '../../src/contract/members';
import type { Page, TransactionBody } from '../../src/contract/views';
import { api } from './api';
import { parseUsd, percent, usd, usdInput } from './money';
import { day, when } from './time';
import { Bar, Body, Done, Problem, ReloadFields, Section, useLoad, useSubmit, type Loaded } from './ui';
import { cardFailure } from './words';
import { TransactionRow, TransactionsHead } from './activity';

export type Role = NonNullable<OrgSummaryBody['role']>;
export const ROLES: Role[] = ['admin', 'billing', 'developer'];
export const mayBill = (r: Role) => r === 'admin' || r === 'billing';
/** Transactions per page of the console's list (the API allows up to its page_size_max). */
const TRANSACTIONS_PER_PAGE = 20;

/** Which organization a section shows: the console's picker chooses it, every section names it. */
export function OrgOf({ name, what }: { name: string; what: string }) {
  return (
    <p className="muted small" data-testid="section-org">
      {what} of organization <strong>{name}</strong>
    </p>
  );
}

export function OrgMembers({ base, org_name, role }: { base: string; org_name: string; role: Role }) {
  const [version, setVersion] = useState(0);
  const members = useLoad(() => api<OrgMemberListBody>('GET', `${base}/members`), `${base}|${version}`);
  // One outcome line for the table's changes: the last one speaks.
  const [change, setChange] = useState<{ problem?: unknown; done?: string }>({});
  const [busy, setBusy] = useState(false);
  const changeMember = async (who: { user_id: string; email: string }, to: Role | null) => {
    setBusy(true);
    setChange({});
    try {
      await api<MemberChangedBody>(to === null ? 'DELETE' : 'PATCH', `${base}/members/${who.user_id}`, to === null ? undefined : { role: to });
      setChange({ done: to === null ? `${who.email} is no longer a member.` : `${who.email} is now ${to}.` });
      setVersion((v) => v + 1);
    } catch (problem) {
      setChange({ problem });
    } finally {
      setBusy(false);
    }
  };
  const admin = role === 'admin';
  return (
    <Section title="Members" id="org-members">
      <OrgOf name={org_name} what="Members" />
      {admin ? <InviteMember base={base} /> : <p className="muted small">Inviting and changing members needs the admin role; you are {role}.</p>}
      <Body loaded={members} what="members">
        {(list) => <MembersTable members={list.data} admin={admin} busy={busy} change={(m, to) => void changeMember(m, to)} />}
      </Body>
      <Problem error={change.problem} title="Member not changed" />
      {change.done ? <Done>{change.done}</Done> : null}
    </Section>
  );
}

/** An admin invites someone by email with a role: nobody joins until they accept. */
function InviteMember({ base }: { base: string }) {
  const [email, setEmail] = useState('');
  const [new_role, setNewRole] = useState<Role>('developer');
  const invite = useSubmit(async () => {
    const invitation = await api<InvitationBody>('POST', `${base}/members`, { email: email.trim(), role: new_role });
    setEmail('');
    return invitation;
  });
  return (
    <form className="inline-form" onSubmit={invite.submit} aria-label="Invite a member">
      <label className="field">
        Member's email
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label className="field">
        Role
        <RoleSelect value={new_role} onChange={setNewRole} />
      </label>
      <button type="submit" disabled={invite.busy}>
        Invite member
      </button>
      <Problem error={invite.problem} title="Member not invited" />
      {invite.done ? (
        <Done>
          Invitation sent to {invite.done.email} as {invite.done.role}: they join when they accept it, signed in.
        </Done>
      ) : null}
    </form>
  );
}

function RoleSelect({ value, onChange, label, disabled }: { value: Role; onChange: (r: Role) => void; label?: string; disabled?: boolean }) {
  return (
    <select value={value} aria-label={label} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

type Member = OrgMemberListBody['data'][number];

/** The members; an admin changes a role in place or removes a member. */
function MembersTable({ members, admin, busy, change }: { members: Member[]; admin: boolean; busy: boolean; change: (m: Member, to: Role | null) => void }) {
  return (
    <div className="scroll-x" role="region" aria-label="Members table" tabIndex={0}>
      <table className="data">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Member since</th>
            {admin ? <th scope="col">Change</th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user_id} data-testid={`member-${m.email}`}>
              <td>{m.email}</td>
              <td>{admin ? <RoleSelect value={m.role} label={`Role of ${m.email}`} disabled={busy} onChange={(to) => change(m, to)} /> : m.role}</td>
              <td>{day(m.created_at)}</td>
              {admin ? (
                <td>
                  <button type="button" disabled={busy} onClick={() => change(m, null)} aria-label={`Remove ${m.email}`}>
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface SettingsProps {
  base: string;
  org_name: string;
  role: Role;
  org: Loaded<OrgBody>;
  changed: () => void;
}

export function OrgSpendLimit({ base, org_name, role, org, changed }: SettingsProps) {
  const [text, setText] = useState('');
  const [confirming, setConfirming] = useState(false);
  // Two forms, one outcome line: the one sent last speaks (an earlier "now $50.00" must not linger after a removal).
  const [last, setLast] = useState<'set' | 'remove'>('set');
  const patch = async (monthly_limit_micros: number | null) => {
    const o = await api<OrgBody>('PATCH', base, { monthly_limit_micros });
    setText('');
    setConfirming(false);
    changed();
    return o.monthly_limit_micros === null
      ? 'The monthly limit is removed: API credits are spent without a monthly cap.'
      : `The monthly limit is now ${usd(o.monthly_limit_micros)}.`;
  };
  const set = useSubmit(async () => {
    setLast('set');
    const micros = parseUsd(text);
    if (micros === null) throw new Error('Type the limit in dollars, e.g. 50 or 75.50.');
    return patch(micros);
  });
  const remove = useSubmit(() => {
    setLast('remove');
    return patch(null);
  });
  const current = org.data?.monthly_limit_micros ?? null;
  const outcome = last === 'set' ? set : remove;
  return (
    <Section title="Monthly limit" id="org-monthly-limit">
      <OrgOf name={org_name} what="Monthly limit" />
      <Body loaded={org} what="the monthly limit" lines={3}>
        {(o) => (
          <>
            <div className="row-between">
              <span data-testid="org-limit-spent">
                <strong>{usd(o.spent_this_month_micros)}</strong> spent this month of{' '}
                {o.monthly_limit_micros === null ? <strong>no limit</strong> : <strong>{usd(o.monthly_limit_micros)}</strong>}
                {o.monthly_limit_micros !== null ? ` · ${percent(o.spent_this_month_micros, o.monthly_limit_micros)}%` : ''}
              </span>
              <span className="muted small">Resets {when(o.month_end)}, when the UTC month ends</span>
            </div>
            {o.monthly_limit_micros !== null ? (
              <Bar value={o.spent_this_month_micros} max={o.monthly_limit_micros} label="Monthly limit used" />
            ) : (
              <div className="bar unlimited" aria-hidden="true" />
            )}
          </>
        )}
      </Body>
      {!mayBill(role) ? (
        <p className="muted small">Changing the monthly limit needs the billing or admin role; you are {role}.</p>
      ) : (
        <>
          <form className="inline-form" onSubmit={set.submit} aria-label="Set the monthly limit">
            <label className="field">
              New monthly limit (USD)
              <input inputMode="decimal" value={text} onChange={(e) => setText(e.target.value)} placeholder={current === null ? '100.00' : usdInput(current)} />
            </label>
            <button type="submit" disabled={set.busy}>
              Set limit
            </button>
            {current !== null ? (
              <button type="button" onClick={() => setConfirming(true)}>
                Remove the limit…
              </button>
            ) : null}
          </form>
          {confirming ? (
            <form className="confirm" role="alertdialog" aria-labelledby="org-unlimited-q" onSubmit={remove.submit}>
              <p id="org-unlimited-q">
                <strong>Remove {org_name}'s monthly limit?</strong> Its API keys can then spend the credits without a monthly ceiling.
              </p>
              <button type="submit" className="danger" disabled={remove.busy}>
                Yes, remove the limit
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)} autoFocus>
                Keep the limit
              </button>
            </form>
          ) : null}
          {outcome.done ? <Done>{outcome.done}</Done> : null}
          <Problem error={outcome.problem} title="Limit not changed" />
        </>
      )}
    </Section>
  );
}

function lastReload(o: OrgBody): string {
  const last = o.auto_reload.last_event;
  if (!last) return 'never fired';
  const words =
    last.type === 'succeeded'
      ? `added ${usd(last.amount_micros)}`
      : last.type === 'failed'
        ? `failed: ${last.reason ? cardFailure(last.reason) : 'the card was not charged'}`
        : `skipped: ${(last.reason ?? 'no reason recorded').replace(/_/g, ' ')}`;
  return `${words} (${when(last.at)})`;
}

export function OrgAutoReload({ base, org_name, role, org, changed }: SettingsProps) {
  const o = org.data;
  const [enabled, setEnabled] = useState<boolean | undefined>(undefined);
  const [amount, setAmount] = useState<string | undefined>(undefined);
  const [threshold, setThreshold] = useState<string | undefined>(undefined);
  const on = enabled ?? o?.auto_reload.enabled ?? false;
  const amount_text = amount ?? (o?.auto_reload.amount_micros ? usdInput(o.auto_reload.amount_micros) : '20.00');
  const threshold_text = threshold ?? (o && o.auto_reload.threshold_micros !== null ? usdInput(o.auto_reload.threshold_micros) : '5.00');
  const save = useSubmit(async () => {
    const amount_micros = parseUsd(amount_text);
    const threshold_micros = parseUsd(threshold_text);
    if (amount_micros === null || threshold_micros === null) throw new Error('Type both amounts in dollars, e.g. 20 and 5.');
    await api<OrgBody>('PATCH', base, { auto_reload: { enabled: on, amount_micros, threshold_micros } });
    // The fields keep what was saved (the org reloads behind them): no flash of the old values.
    changed();
    return on ? `Auto-reload is on: ${usd(amount_micros)} whenever the available credits fall below ${usd(threshold_micros)}.` : 'Auto-reload is off.';
  });
  return (
    <Section title="Auto-reload" id="org-auto-reload">
      <OrgOf name={org_name} what="Auto-reload" />
      <Body loaded={org} what="auto-reload" lines={2}>
        {(v) => (
          <p data-testid="org-reload-state">
            {v.auto_reload.enabled && v.auto_reload.amount_micros !== null && v.auto_reload.threshold_micros !== null
              ? `On: buys ${usd(v.auto_reload.amount_micros)} with the card on file when the available credits fall below ${usd(v.auto_reload.threshold_micros)}, unless that would pass the monthly limit.`
              : 'Off: credits are added only when someone buys them.'}
            <br />
            <span className="muted">Last: {lastReload(v)}</span>
          </p>
        )}
      </Body>
      {!mayBill(role) ? (
        <p className="muted small">Changing auto-reload needs the billing or admin role; you are {role}.</p>
      ) : o ? (
        <form className="inline-form" onSubmit={save.submit} aria-label="Auto-reload settings">
          <ReloadFields
            on={on}
            setOn={setEnabled}
            amount={amount_text}
            setAmount={setAmount}
            threshold={threshold_text}
            setThreshold={setThreshold}
            what="credits fall"
          />
          <button type="submit" disabled={save.busy}>
            Save auto-reload
          </button>
          {!o.has_payment_method && on ? <p className="muted small">There is no card on file yet: a reload is skipped until one is added.</p> : null}
          {save.done ? <Done>{save.done}</Done> : null}
          <Problem error={save.problem} title="Auto-reload not saved" />
        </form>
      ) : null}
    </Section>
  );
}

/** The org's ledger, newest first, a page at a time: `cursors` are the next_cursor values that led to this page. */
export function OrgTransactions({ base, org_name, version }: { base: string; org_name: string; version: number }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const query = `limit=${TRANSACTIONS_PER_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const page = useLoad(() => api<Page<TransactionBody>>('GET', `${base}/transactions?${query}`), `${base}|${query}|${version}`);
  const next = page.data?.next_cursor ?? null;
  return (
    <Section
      title="Transactions"
      id="org-transactions"
      aside={
        <div className="seg" role="group" aria-label="Transaction pages">
          <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </button>
          <button type="button" disabled={!page.data?.has_more || next === null} onClick={() => next !== null && setCursors((c) => [...c, next])}>
            Older
          </button>
        </div>
      }
    >
      <OrgOf name={org_name} what={`Transactions (page ${cursors.length + 1})`} />
      <Body loaded={page} what="transactions" lines={6}>
        {(p) =>
          p.data.length === 0 ? (
            <p className="muted">No transactions yet: purchases, reloads, grants and usage charges appear here.</p>
          ) : (
            <div className="scroll-x" role="region" aria-label="Transactions table" tabIndex={0}>
              <table className="data">
                <TransactionsHead />
                <tbody>
                  {p.data.map((t) => (
                    <TransactionRow key={t.id} t={t} testid="org-transaction" />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Body>
    </Section>
  );
}
