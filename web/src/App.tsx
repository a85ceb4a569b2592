// The page: sign-in, the account switcher (remembered per browser), the signed-in user's
// pending invitations, the account's usage page, and the operator console at /operator.
import { useEffect, useState, type FormEvent } from 'react';
import type { MeBody } from '../../src/contract/views';
import { api, ApiError } from './api';
import { AccountPage } from './page';
import { OperatorConsole } from './operator';
import { OrgConsole } from './orgs';
import { PendingInvitations } from './invitations';
import type { OrgListBody } from '../../src/contract/orgs';
import { viewerZone } from './time';
import { Loading, Problem, useLoad } from './ui';

const REMEMBERED = 'tokenbank.account';

function usePath(): [string, (p: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return [
    path,
    (p) => {
      history.pushState(null, '', p);
      setPath(p);
    },
  ];
}

export function App() {
  const [path, go] = usePath();
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      {path.startsWith('/operator') ? <OperatorConsole go={go} /> : <UserArea go={go} />}
      <footer className="foot muted small">
        Times in your time zone ({viewerZone}). Amounts in US dollars. <a href="/docs">API reference</a>
      </footer>
    </>
  );
}

function UserArea({ go }: { go: (p: string) => void }) {
  const [me, setMe] = useState<MeBody | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const load = () =>
    api<MeBody>('GET', '/v1/me').then(
      (m) => setMe(m.kind === 'user' ? m : null),
      (e) => (e instanceof ApiError && e.status === 401 ? setMe(null) : setError(e)),
    );
  useEffect(() => {
    void load();
  }, []);
  if (error)
    return (
      <main id="main" className="narrow">
        <Problem error={error} title="Could not reach Tokenbank" />
      </main>
    );
  if (me === undefined)
    return (
      <main id="main" className="narrow">
        <Loading what="your session" />
      </main>
    );
  if (me === null) return <SignIn onDone={() => void load()} go={go} />;
  return <Signed me={me} onSignOut={() => setMe(null)} onJoined={() => void load()} />;
}

function SignIn({ onDone, go }: { onDone: () => void; go: (p: string) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await api('POST', '/v1/sessions', { email, password });
      onDone();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="narrow">
      <h1>Settings › Usage</h1>
      <form className="card" onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in to Tokenbank</h2>
        <label className="field">
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <Problem error={problem} title="Not signed in" />
        <p className="muted small">
          Running the demo? Sign in as demo@tokenbank.local / demo-password. Operators:{' '}
          <a href="/operator" onClick={(e) => (e.preventDefault(), go('/operator'))}>
            operator console
          </a>
          .
        </p>
      </form>
    </main>
  );
}

function Signed({ me, onSignOut, onJoined }: { me: MeBody; onSignOut: () => void; onJoined: () => void }) {
  const remembered = localStorage.getItem(REMEMBERED);
  const initial = me.accounts.find((a) => a.id === remembered)?.id ?? me.accounts[0]?.id ?? '';
  const [account_id, setAccount] = useState(initial);
  // An account joined by accepting an invitation is shown when there was none before.
  const account = me.accounts.find((a) => a.id === account_id) ?? me.accounts[0];
  const choose = (id: string) => {
    setAccount(id);
    localStorage.setItem(REMEMBERED, id);
  };
  const signOut = async () => {
    try {
      await api('DELETE', '/v1/sessions/current');
    } finally {
      onSignOut();
    }
  };
  const role = account?.role ?? 'member';
  const [joined, setJoined] = useState(0);
  const orgs = useLoad(() => api<OrgListBody>('GET', '/v1/orgs'), `orgs|${joined}`);
  const join = () => {
    setJoined((n) => n + 1);
    onJoined();
  };
  const [view, setView] = useState<'usage' | 'console'>('usage');
  const hasOrgs = (orgs.data?.data.length ?? 0) > 0;
  return (
    <>
      <header className="top">
        <div className="brand">Tokenbank</div>
        <label className="field switcher">
          Account
          <select value={account?.id ?? ''} onChange={(e) => choose(e.target.value)}>
            {me.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.role ?? 'member'})
              </option>
            ))}
          </select>
        </label>
        <div className="who small">
          {me.user?.email}{' '}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <PendingInvitations joined={join} />
      {hasOrgs ? (
        <nav aria-label="Pages" className="tabs">
          <button type="button" aria-pressed={view === 'usage'} onClick={() => setView('usage')}>
            Account usage
          </button>{' '}
          <button type="button" aria-pressed={view === 'console'} onClick={() => setView('console')}>
            API console
          </button>
        </nav>
      ) : null}
      {hasOrgs && view === 'console' ? (
        <main id="main">
          <h1>API console</h1>
          <OrgConsole orgs={orgs.data?.data ?? []} />
        </main>
      ) : (
        <main id="main">
          <h1>Settings › Usage</h1>
          {account ? (
            <>
              <p className="showing" role="status" data-testid="showing">
                Showing <strong>{account.name}</strong> · {account.plan ?? 'no plan'} plan · you are{' '}
                {role === 'owner' ? 'the owner' : role === 'billing' ? 'a billing member' : 'a member'}
                {me.accounts.length > 1 ? ' · credits and limits belong to this account only' : ''}
              </p>
              <AccountPage
                key={account.id}
                account_id={account.id}
                caller={{ as_operator: false, can_money: role === 'owner' || role === 'billing', can_refund: role === 'owner' }}
              />
            </>
          ) : (
            <p>You do not belong to any account yet. Ask an owner to invite you.</p>
          )}
        </main>
      )}
    </>
  );
}
