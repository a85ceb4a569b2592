// The operator's campaign codes (POST/GET /v1/promotions): a code with an amount, a claim limit,
// an optional last day and an optional lifetime of the credit it gives; the codes with their claims.
import { useState } from 'react';
import type { PromotionBody } from '../../src/contract/credits';
import type { Page } from '../../src/contract/views';
import { api } from './api';
import { parseUsd, usd } from './money';
import { when } from './time';
import { Body, Done, Problem, Section, useLoad, useSubmit } from './ui';

const op = <T,>(method: string, path: string, body?: unknown) => api<T>(method, path, body, { as_operator: true });

export function Promotions() {
  const [version, setVersion] = useState(0);
  const list = useLoad(() => op<Page<PromotionBody>>('GET', '/v1/promotions?limit=100'), String(version));
  return (
    <div className="grid">
      <NewPromotion onCreated={() => setVersion((v) => v + 1)} />
      <div className="wide">
        <Section title="Campaign codes" id="promotions">
          <Body loaded={list} what="campaign codes" lines={3}>
            {(page) =>
              page.data.length === 0 ? (
                <p className="muted">No campaign codes yet.</p>
              ) : (
                <div className="scroll-x">
                  <table className="data" data-testid="promotion-list">
                    <thead>
                      <tr>
                        <th scope="col">Code</th>
                        <th scope="col" className="num">
                          Amount
                        </th>
                        <th scope="col" className="num">
                          Claimed
                        </th>
                        <th scope="col">Claimable until</th>
                        <th scope="col">Credit lasts</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.data.map((p) => (
                        <tr key={p.id}>
                          <td className="mono">{p.code}</td>
                          <td className="num">{usd(p.amount_micros)}</td>
                          <td className="num">
                            {p.claims_count} of {p.claims_max}
                          </td>
                          <td>{p.expires_at ? when(p.expires_at) : 'no end'}</td>
                          <td>{p.credit_expires_in_days === null ? 'no expiry' : `${p.credit_expires_in_days} days after the claim`}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )
            }
          </Body>
        </Section>
      </div>
    </div>
  );
}

function NewPromotion({ onCreated }: { onCreated: () => void }) {
  const [code, setCode] = useState('');
  const [amount, setAmount] = useState('10.00');
  const [claims, setClaims] = useState('100');
  const [until, setUntil] = useState('');
  const [days, setDays] = useState('');
  const { done, problem, submit } = useSubmit(async () => {
    const micros = parseUsd(amount);
    if (micros === null) throw new Error('Type the amount in dollars, e.g. 10 or 12.50.');
    if (!/^\d+$/.test(claims.trim())) throw new Error('Type the claim limit as a whole number, e.g. 100.');
    if (days.trim() !== '' && !/^\d+$/.test(days.trim())) throw new Error('Type the credit lifetime in whole days, or leave it empty.');
    const made = await op<PromotionBody>('POST', '/v1/promotions', {
      code: code.trim(),
      amount_micros: micros,
      claims_max: Number(claims.trim()),
      ...(until ? { expires_at: new Date(`${until}T23:59:59`).toISOString() } : {}),
      ...(days.trim() ? { credit_expires_in_days: Number(days.trim()) } : {}),
    });
    setCode('');
    onCreated();
    return made;
  });
  return (
    <Section title="New campaign code" id="new-promotion">
      <form className="stack" onSubmit={submit}>
        <label className="field">
          Code
          <input value={code} onChange={(e) => setCode(e.target.value)} required autoComplete="off" spellCheck={false} placeholder="WELCOME10" />
        </label>
        <label className="field">
          Credit per claim (USD)
          <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label className="field">
          Claim limit (accounts)
          <input inputMode="numeric" value={claims} onChange={(e) => setClaims(e.target.value)} />
        </label>
        <label className="field">
          Claimable until (optional)
          <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
        <label className="field">
          Credit expires after (days, optional)
          <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} placeholder="never" />
        </label>
        <p className="muted small">Each account can claim a code once; the credit is promotional (spent first, never refunded).</p>
        <button type="submit" className="primary">
          Create code
        </button>
        {done ? (
          <Done>
            Code {done.code} created: {usd(done.amount_micros)} for each of up to {done.claims_max} accounts.
          </Done>
        ) : null}
        <Problem error={problem} title="Code not created" />
      </form>
    </Section>
  );
}
