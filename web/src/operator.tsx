// The operator console: sign in with the operator token; accounts list and search; an account
// as its owner sees it, with its ledger and audit status and a promotional grant; the catalog;
// service tokens; campaign codes; the operator-wide webhook endpoints.
import { useState, type FormEvent } from 'react';
import type { AccountSummary, AuditBody, AuditLogEntry, CatalogBodyView, GrantBody, ServiceTokenBody } from '../../src/contract/views';
import { api, newKey, operatorToken, setOperatorToken } from './api';
import { parseUsd, tokens, usd } from './money';
import { AccountPage } from './page';
import { when } from './time';
import { Body, Done, Problem, Section, useLoad, useSubmit } from './ui';
import { Organizations } from './org-operator';
import { WebhooksSection } from './webhooks';
import { Promotions } from './promotions';
import { WINDOW_WORDS } from './words';

const op = <T,>(method: string, path: string, body?: unknown, key?: string) =>
  api<T>(method, path, body, { as_operator: true, ...(key ? { idempotency_key: key } : {}) });

export function OperatorConsole({ go }: { go: (p: string) => void }) {
  const [token, setToken] = useState(operatorToken());
  const [tab, setTab] = useState<'accounts' | 'catalog' | 'tokens' | 'codes' | 'webhooks' | 'orgs'>('accounts');
  if (!token)
    return (
      <OperatorSignIn
        onDone={(t) => {
          setOperatorToken(t);
          setToken(t);
        }}
        go={go}
      />
    );
  return (
    <>
      <header className="top">
        <div className="brand">Tokenbank · Operator</div>
        <nav className="seg" aria-label="Operator sections">
          {(['accounts', 'catalog', 'tokens', 'codes', 'webhooks', 'orgs'] as const).map((t) => (
            <button key={t} type="button" aria-pressed={tab === t} onClick={() => setTab(t)}>
              {t === 'tokens' ? 'Service tokens' : t === 'codes' ? 'Campaign codes' : t === 'orgs' ? 'Organizations' : t[0]!.toUpperCase() + t.slice(1)}
            </button>
          ))}
        </nav>
        <div className="who small">
          <button
            type="button"
            onClick={() => {
              setOperatorToken(null);
              setToken(null);
            }}
          >
            Forget token
          </button>
        </div>
      </header>
      <main id="main">
        <h1>Operator console</h1>
        {tab === 'accounts' ? (
          <Accounts />
        ) : tab === 'catalog' ? (
          <Catalog />
        ) : tab === 'tokens' ? (
          <ServiceTokens />
        ) : tab === 'codes' ? (
          <Promotions />
        ) : tab === 'orgs' ? (
          <Organizations />
        ) : (
          <WebhooksSection scope={{ account_id: null, as_operator: true, can_manage: true }} />
        )}
      </main>
    </>
  );
}

function OperatorSignIn({ onDone, go }: { onDone: (token: string) => void; go: (p: string) => void }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<unknown>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const t = text.trim();
    setOperatorToken(t);
    try {
      await op('GET', '/v1/audit');
      onDone(t);
    } catch (err) {
      setOperatorToken(null);
      setProblem(err);
    }
  };
  return (
    <main id="main" className="narrow">
      <h1>Operator console</h1>
      <form className="card" onSubmit={submit}>
        <h2>Sign in with the operator token</h2>
        <label className="field">
          Operator token
          <input type="password" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" required autoFocus />
        </label>
        <p className="muted small">npm start prints it once (or set TOKENBANK_ADMIN_TOKEN). It is kept in this tab only.</p>
        <button type="submit" className="primary">
          Open console
        </button>
        <Problem error={problem} title="Not signed in" />
        <p className="small">
          <a href="/" onClick={(e) => (e.preventDefault(), go('/'))}>
            Back to the usage page
          </a>
        </p>
      </form>
    </main>
  );
}

function Accounts() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState<AccountSummary | null>(null);
  const list = useLoad(() => op<{ data: AccountSummary[] }>('GET', `/v1/accounts?limit=100${query ? `&search=${encodeURIComponent(query)}` : ''}`), query);
  return (
    <>
      <Section title="Accounts" id="accounts">
        <form
          className="inline-form"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(search.trim());
          }}
        >
          <label className="field">
            Search accounts
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name or id" />
          </label>
          <button type="submit">Search</button>
        </form>
        <Body loaded={list} what="accounts" lines={4}>
          {(l) =>
            l.data.length === 0 ? (
              <p className="muted">No account matches.</p>
            ) : (
              <div className="scroll-x">
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Plan</th>
                      <th scope="col" className="hide-narrow">
                        Id
                      </th>
                      <th scope="col">Opened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {l.data.map((a) => (
                      <tr key={a.id} className={chosen?.id === a.id ? 'chosen' : ''}>
                        <td>
                          <button type="button" className="link" onClick={() => setChosen(a)}>
                            {a.name}
                          </button>
                        </td>
                        <td>{a.plan ?? '—'}</td>
                        <td className="hide-narrow mono small">{a.id}</td>
                        <td>{when(a.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Body>
      </Section>
      {chosen ? <OperatorAccount key={chosen.id} account={chosen} /> : null}
    </>
  );
}

function OperatorAccount({ account }: { account: AccountSummary }) {
  const [version, setVersion] = useState(0);
  return (
    <>
      <p className="showing" role="status" data-testid="showing">
        Showing <strong>{account.name}</strong> ({account.id}) as its owner sees it
      </p>
      <div className="grid">
        <Grant account_id={account.id} onGranted={() => setVersion((v) => v + 1)} />
        <AuditStatus account_id={account.id} version={version} />
      </div>
      <AccountPage key={version} account_id={account.id} caller={{ as_operator: true, can_money: false, can_refund: true }} />
    </>
  );
}

function Grant({ account_id, onGranted }: { account_id: string; onGranted: () => void }) {
  const [amount, setAmount] = useState('10.00');
  const [reason, setReason] = useState('goodwill credit');
  const [expires, setExpires] = useState('');
  const { done, problem, submit } = useSubmit(async () => {
    const micros = parseUsd(amount);
    if (micros === null) throw new Error('Type the amount in dollars, e.g. 10 or 12.50.');
    const body = {
      amount_micros: micros,
      ...(reason.trim() ? { reason: reason.trim() } : {}),
      ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
    };
    const g = await op<GrantBody>('POST', `/v1/accounts/${account_id}/grants`, body, newKey());
    onGranted();
    return g;
  });
  return (
    <Section title="Grant promotional credits" id="grant">
      <form onSubmit={submit} className="stack">
        <label className="field">
          Grant amount (USD)
          <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label className="field">
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={100} />
        </label>
        <label className="field">
          Expires on (optional)
          <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          Grant credits
        </button>
        {done ? (
          <Done>
            Granted {usd(done.amount_micros)} of promotional credit{done.expires_at ? `, expiring ${when(done.expires_at)}` : ', with no expiry'}.
          </Done>
        ) : null}
        <Problem error={problem} title="Not granted" />
      </form>
    </Section>
  );
}

function AuditStatus({ account_id, version }: { account_id: string; version: number }) {
  const audit = useLoad(() => op<AuditBody>('GET', '/v1/audit'), `audit|${version}`);
  const log = useLoad(() => op<{ data: AuditLogEntry[] }>('GET', '/v1/audit-log?limit=500'), `log|${version}`);
  return (
    <Section title="Ledger and audit" id="audit">
      <Body loaded={audit} what="the ledger proof" lines={2}>
        {(a) => {
          const mine = a.findings.filter((f) => JSON.stringify(f).includes(account_id));
          return (
            <p data-testid="audit-status">
              {a.ok
                ? '✓ Ledger balanced: every currency sums to zero and every wallet equals its entries.'
                : `✗ ${a.findings.length} finding(s) in the ledger, ${mine.length} about this account.`}
              {mine.map((f, i) => (
                <span key={i} className="problem block">
                  {f.message}
                </span>
              ))}
            </p>
          );
        }}
      </Body>
      <h3>Audit log for this account</h3>
      <Body loaded={log} what="the audit log" lines={4}>
        {(l) => {
          const entries = l.data.filter((e) => e.account_id === account_id).slice(0, 12);
          return entries.length === 0 ? (
            <p className="muted">No money-changing actions recorded.</p>
          ) : (
            <ul className="events">
              {entries.map((e) => (
                <li key={String(e.id)}>
                  <span className="muted small">{when(e.created_at)}</span> <strong>{e.action}</strong> <span className="small">by {e.actor}</span>
                </li>
              ))}
            </ul>
          );
        }}
      </Body>
    </Section>
  );
}

function Catalog() {
  const catalog = useLoad(() => op<CatalogBodyView>('GET', '/v1/catalog'), 'catalog');
  return (
    <Body loaded={catalog} what="the catalog" lines={8}>
      {(c) => (
        <div className="grid">
          <Section title="Plans" id="plans">
            <div className="scroll-x">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Plan</th>
                    <th scope="col" className="num">
                      Price
                    </th>
                    <th scope="col">Allowance</th>
                    <th scope="col">Extra usage</th>
                  </tr>
                </thead>
                <tbody>
                  {c.plans.map((p) => (
                    <tr key={p.id}>
                      <td>{p.name}</td>
                      <td className="num">
                        {usd(p.price_micros)}
                        {p.per_seat ? '/seat' : ''}
                      </td>
                      <td>{p.windows.map((w) => `${WINDOW_WORDS[w.kind] ?? w.kind} ${tokens(w.limit_tokens)}`).join(', ')}</td>
                      <td>{p.extra_usage_allowed ? 'allowed' : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
          <Section title="Apps and who pays" id="apps">
            <ul className="plain">
              {c.apps.map((a) => (
                <li key={a.id}>
                  <strong>{a.id}</strong>: {a.kind === 'first_party' ? 'first-party: plan allowance first, then extra usage' : 'third-party: extra usage only'}
                </li>
              ))}
            </ul>
          </Section>
          <div className="wide">
            <Section title="Models and dated prices (per million tokens)" id="models">
              <div className="scroll-x">
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col">From</th>
                      <th scope="col" className="num">
                        Input
                      </th>
                      <th scope="col" className="num">
                        Output
                      </th>
                      <th scope="col" className="num">
                        Cache write
                      </th>
                      <th scope="col" className="num">
                        Cache read
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.prices.map((p) => (
                      <tr key={p.id}>
                        <td>
                          {p.model_id} <span className="muted small">({c.models.find((m) => m.id === p.model_id)?.tier})</span>
                        </td>
                        <td>{when(p.effective_at)}</td>
                        <td className="num">{usd(p.input_micros_per_mtok)}</td>
                        <td className="num">{usd(p.output_micros_per_mtok)}</td>
                        <td className="num">{usd(p.cache_write_micros_per_mtok)}</td>
                        <td className="num">{usd(p.cache_read_micros_per_mtok)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Section>
          </div>
        </div>
      )}
    </Body>
  );
}

function ServiceTokens() {
  const [version, setVersion] = useState(0);
  const list = useLoad(() => op<{ data: ServiceTokenBody[] }>('GET', '/v1/service-tokens'), String(version));
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ServiceTokenBody | undefined>(undefined);
  const [problem, setProblem] = useState<unknown>(undefined);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    try {
      setCreated(await op<ServiceTokenBody>('POST', '/v1/service-tokens', { name: name.trim() }));
      setName('');
      setVersion((v) => v + 1);
    } catch (err) {
      setProblem(err);
    }
  };
  const revoke = async (id: string) => {
    setProblem(undefined);
    try {
      await op('DELETE', `/v1/service-tokens/${id}`);
      setVersion((v) => v + 1);
    } catch (err) {
      setProblem(err);
    }
  };
  return (
    <Section title="Service tokens (model gateway)" id="service-tokens">
      <form className="inline-form" onSubmit={create}>
        <label className="field">
          New token name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <button type="submit">Create token</button>
      </form>
      {created?.token ? (
        <Done>
          Token “{created.name}” created. Copy it now, it is shown once: <code className="mono">{created.token}</code>
        </Done>
      ) : null}
      <Problem error={problem} />
      <Body loaded={list} what="service tokens" lines={3}>
        {(l) => (
          <ul className="plain">
            {l.data.map((t) => (
              <li key={t.id}>
                <strong>{t.name}</strong> <span className="muted small">{t.created_at ? `created ${when(t.created_at)}` : ''}</span>{' '}
                <button type="button" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </Body>
    </Section>
  );
}
