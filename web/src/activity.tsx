// Recent requests with their receipt (which pool paid and why), and transactions.
import { useEffect, useRef, useState } from 'react';
import type { Page, TransactionBody, UsageRecordBody } from '../../src/contract/views';
import { tokens, usd } from './money';
import { when } from './time';
import { Body, Section, type Loaded } from './ui';
import { BOOK_WORDS, REASON_WORDS, SOURCE_WORDS, TRANSACTION_WORDS } from './words';

const totalTokens = (r: UsageRecordBody) =>
  r.usage.input_tokens + r.usage.output_tokens + (r.usage.cache_creation_input_tokens ?? 0) + (r.usage.cache_read_input_tokens ?? 0);

export function RequestsSection({ records, transactions }: { records: Loaded<Page<UsageRecordBody>>; transactions: Loaded<Page<TransactionBody>> }) {
  const [open, setOpen] = useState<UsageRecordBody | null>(null);
  return (
    <Section title="Recent requests" id="requests">
      <Body loaded={records} what="recent requests" lines={8}>
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">No requests yet.</p>
          ) : (
            <div className="scroll-x">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">App</th>
                    <th scope="col" className="hide-narrow">
                      Model
                    </th>
                    <th scope="col" className="num">
                      Tokens
                    </th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                    <th scope="col">Paid by</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <button type="button" className="link" onClick={() => setOpen(r)} aria-label={`Receipt for ${r.app} request at ${when(r.occurred_at)}`}>
                          {when(r.occurred_at)}
                        </button>
                      </td>
                      <td>{r.app}</td>
                      <td className="hide-narrow">{r.model}</td>
                      <td className="num">{tokens(totalTokens(r))}</td>
                      <td className="num">{usd(r.cost_micros)}</td>
                      <td>{SOURCE_WORDS[r.funding.source] ?? r.funding.source}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Body>
      {open ? (
        <Receipt record={open} transfers={(transactions.data?.data ?? []).filter((t) => t.reference_id === open.id)} onClose={() => setOpen(null)} />
      ) : null}
    </Section>
  );
}

function Receipt({ record: r, transfers, onClose }: { record: UsageRecordBody; transfers: TransactionBody[]; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const extra = r.charged_micros;
  return (
    <dialog ref={dialog} className="receipt" aria-labelledby="receipt-title" onClose={onClose} onCancel={onClose}>
      <h3 id="receipt-title">Receipt</h3>
      <dl className="kv">
        <dt>When</dt>
        <dd>{when(r.occurred_at)}</dd>
        <dt>App</dt>
        <dd>{r.app}</dd>
        <dt>Model</dt>
        <dd>
          {r.model} <span className="muted small">(price {r.price_version})</span>
        </dd>
        <dt>Tokens</dt>
        <dd>
          {r.usage.input_tokens.toLocaleString()} in · {r.usage.output_tokens.toLocaleString()} out
          {r.usage.cache_creation_input_tokens ? ` · ${r.usage.cache_creation_input_tokens.toLocaleString()} cache write` : ''}
          {r.usage.cache_read_input_tokens ? ` · ${r.usage.cache_read_input_tokens.toLocaleString()} cache read` : ''}
        </dd>
        <dt>Cost</dt>
        <dd>{usd(r.cost_micros)}</dd>
        <dt>Paid by</dt>
        <dd data-testid="receipt-source">
          <strong>{SOURCE_WORDS[r.funding.source] ?? r.funding.source}</strong>
          {r.allowance_tokens > 0 ? ` · ${r.allowance_tokens.toLocaleString()} allowance tokens` : ''}
          {extra > 0 ? ` · ${usd(extra)} from extra usage` : ''}
        </dd>
        <dt>Why</dt>
        <dd data-testid="receipt-why">{REASON_WORDS[r.funding.reason] ?? r.funding.reason}</dd>
        {transfers.length > 0 ? (
          <>
            <dt>Taken from</dt>
            <dd>{transfers.map((t) => `${usd(Math.abs(t.amount_micros))} of ${BOOK_WORDS[t.book] ?? t.book}`).join(', ')}</dd>
          </>
        ) : null}
        {r.beyond_hold ? (
          <>
            <dt>Note</dt>
            <dd>Settled for more than its hold covered; charged in full.</dd>
          </>
        ) : null}
        <dt>Reference</dt>
        <dd className="small mono">{r.id}</dd>
      </dl>
      <form method="dialog">
        <button type="submit" className="primary" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}

export function TransactionsSection({ transactions }: { transactions: Loaded<Page<TransactionBody>> }) {
  return (
    <Section title="Transactions" id="transactions">
      <Body loaded={transactions} what="transactions" lines={6}>
        {(page) => {
          const money = page.data.filter((t) => t.kind !== 'usage');
          const usage = page.data.filter((t) => t.kind === 'usage');
          const usage_total = usage.reduce((s, t) => s + t.amount_micros, 0);
          if (page.data.length === 0) return <p className="muted">No transactions yet: purchases, reloads, grants and extra-usage charges appear here.</p>;
          return (
            <div className="scroll-x">
              <table className="data">
                <TransactionsHead />
                <tbody>
                  {money.map((t) => (
                    <TransactionRow key={t.id} t={t} />
                  ))}
                  {usage.length > 0 ? (
                    <tr>
                      <td>since {when(usage[usage.length - 1]!.created_at)}</td>
                      <td className="wrap">Usage paid by extra usage ({usage.length} requests)</td>
                      <td className="num">{usd(usage_total)}</td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
            </div>
          );
        }}
      </Body>
    </Section>
  );
}

/** The head of a transactions table: when, what, amount. */
export function TransactionsHead() {
  return (
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">What</th>
        <th scope="col" className="num">
          Amount
        </th>
      </tr>
    </thead>
  );
}

/** One ledger transaction in words: when, what (and on which book), how much. */
export function TransactionRow({ t, testid }: { t: TransactionBody; testid?: string }) {
  return (
    <tr data-testid={testid}>
      <td>{when(t.created_at)}</td>
      <td className="wrap">
        {TRANSACTION_WORDS[t.kind] ?? t.kind.replace(/_/g, ' ')} <span className="muted small">({BOOK_WORDS[t.book] ?? t.book})</span>
      </td>
      <td className="num">{usd(t.amount_micros)}</td>
    </tr>
  );
}
