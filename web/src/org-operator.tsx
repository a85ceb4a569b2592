// The operator's Organizations tab: every API organization with its tier, balance and spend this
// month, and a form to create one with its first admin (POST /v1/orgs is the operator's).
import { useState } from 'react';
import type { OrgBody, OrgListBody } from '../../src/contract/orgs';
import { api } from './api';
import { parseUsd, usd } from './money';
import { Body, Done, Problem, Section, useLoad, useSubmit } from './ui';

const op = <T,>(method: string, path: string, body?: unknown) => api<T>(method, path, body, { as_operator: true });

export function Organizations() {
  const [version, setVersion] = useState(0);
  const orgs = useLoad(async () => {
    const list = await op<OrgListBody>('GET', '/v1/orgs?limit=100');
    return Promise.all(list.data.map((o) => op<OrgBody>('GET', `/v1/orgs/${o.id}`)));
  }, String(version));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [limit, setLimit] = useState('');
  const create = useSubmit(async () => {
    const monthly_limit_micros = limit.trim() === '' ? null : parseUsd(limit);
    if (limit.trim() !== '' && monthly_limit_micros === null) throw new Error('Type the monthly limit in dollars, or leave it empty.');
    const body = { name: name.trim(), admin_email: email.trim(), monthly_limit_micros, ...(password ? { admin_password: password } : {}) };
    const org = await op<OrgBody>('POST', '/v1/orgs', body);
    setVersion((v) => v + 1);
    return org;
  });
  return (
    <div className="grid">
      <Section title="Create an organization" id="org-create">
        <form onSubmit={create.submit} aria-label="Create an organization">
          <label className="field">
            Organization name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label className="field">
            First admin's email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
          <label className="field">
            Password (only for a new user)
            <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <label className="field">
            Monthly limit (USD, optional)
            <input inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={create.busy}>
            Create organization
          </button>
          <Problem error={create.problem} title="Organization not created" />
          {create.done ? (
            <Done>
              Created {create.done.name} ({create.done.id}).
            </Done>
          ) : null}
        </form>
      </Section>
      <div className="wide">
        <Section title="Organizations" id="org-list">
          <Body loaded={orgs} what="organizations">
            {(list) => (
              <div className="scroll-x" role="region" aria-label="Organizations table" tabIndex={0}>
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Id</th>
                      <th scope="col">Tier</th>
                      <th scope="col">Balance</th>
                      <th scope="col">Spent this month</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((o) => (
                      <tr key={o.id} data-testid={`org-${o.id}`}>
                        <td>{o.name}</td>
                        <td>
                          <code>{o.id}</code>
                        </td>
                        <td>{o.tier.tier}</td>
                        <td>{usd(o.credit_balance_micros)}</td>
                        <td>{usd(o.spent_this_month_micros)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {list.length === 0 ? <p className="muted">No organizations yet.</p> : null}
              </div>
            )}
          </Body>
        </Section>
      </div>
    </div>
  );
}
