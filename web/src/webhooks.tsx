// Webhook endpoints (docs/webhooks.md): an account's (its owner and billing members, and the
// operator) or the operator's own, which receive every account's events. Add one (its signing
// secret is shown once), delete one after a confirmation, and read each one's delivery log —
// every attempt with its status, error, duration and time — with a Redeliver button.
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { WebhookDeliveryBody, WebhookEndpointBody, WebhookEndpointCreatedBody } from '../../src/contract/webhooks';
import type { Page } from '../../src/contract/views';
import { api } from './api';
import { EVENT_TITLES, EVENT_TYPE_LIST, eventTitle, type EventType } from './notice-words';
import { fromNow, when } from './time';
import { Body, Done, Problem, Section, useLoad } from './ui';

/** Whose endpoints: an account's (account_id) or the operator's (null); as whom the calls go. */
export interface WebhookScope {
  account_id: string | null;
  as_operator: boolean;
  /** Owner, billing or operator: may list and change them. A member sees a note, and no call is made. */
  can_manage: boolean;
}

const DELIVERIES_PAGE = 10;
const LOG_REFRESH_MS = 2_500;

const prefixOf = (scope: WebhookScope) => (scope.account_id === null ? '/v1/webhook-endpoints' : `/v1/accounts/${scope.account_id}/webhook-endpoints`);
const call = <T,>(scope: WebhookScope, method: string, path: string, body?: unknown) => api<T>(method, path, body, { as_operator: scope.as_operator });

export function WebhooksSection({ scope }: { scope: WebhookScope }) {
  const operator_wide = scope.account_id === null;
  const title = operator_wide ? 'Operator-wide webhooks' : 'Webhooks';
  const id = operator_wide ? 'operator-webhooks' : 'webhooks';
  if (!scope.can_manage)
    return (
      <Section title={title} id={id}>
        <p className="muted" role="note">
          Webhooks send this account's notifications to your own systems, signed. The account's owner and billing members choose where they go; you can read the
          notifications themselves on this page.
        </p>
      </Section>
    );
  return <ManagedWebhooks scope={scope} title={title} id={id} />;
}

function ManagedWebhooks({ scope, title, id }: { scope: WebhookScope; title: string; id: string }) {
  const prefix = prefixOf(scope);
  const [version, setVersion] = useState(0);
  const list = useLoad(() => call<Page<WebhookEndpointBody>>(scope, 'GET', prefix), `${prefix}|${version}`);
  const [created, setCreated] = useState<WebhookEndpointCreatedBody | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const changed = () => setVersion((v) => v + 1);
  return (
    <Section title={title} id={id}>
      <p className="muted small">
        {scope.account_id === null
          ? "Endpoints of the operator: they receive every account's events."
          : "Each endpoint receives this account's notifications as signed POST requests (Standard Webhooks), retried for about a day when it does not answer 2xx."}{' '}
        <a href="/docs">API reference</a>
      </p>
      <AddEndpoint
        scope={scope}
        onCreated={(e) => {
          setCreated(e);
          setDeleted(null);
          changed();
        }}
      />
      {created ? <NewSecret endpoint={created} onHide={() => setCreated(null)} /> : null}
      {deleted ? <Done>Deleted the endpoint {deleted}: it gets nothing more, and its delivery log is gone.</Done> : null}
      <h3>Endpoints</h3>
      <Body loaded={list} what="webhook endpoints" lines={2}>
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">No endpoints yet.</p>
          ) : (
            <ul className="endpoints" data-testid="endpoints">
              {page.data.map((e) => (
                <Endpoint
                  key={e.id}
                  scope={scope}
                  endpoint={e}
                  refresh={list.reload}
                  onDeleted={() => {
                    setDeleted(e.url);
                    setCreated(null);
                    changed();
                  }}
                />
              ))}
            </ul>
          )
        }
      </Body>
    </Section>
  );
}

function AddEndpoint({ scope, onCreated }: { scope: WebhookScope; onCreated: (e: WebhookEndpointCreatedBody) => void }) {
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState<Set<EventType>>(new Set());
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const toggle = (t: EventType, on: boolean) =>
    setChosen((old) => {
      const next = new Set(old);
      if (on) next.add(t);
      else next.delete(t);
      return next;
    });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setBusy(true);
    try {
      const events = EVENT_TYPE_LIST.filter((t) => chosen.has(t));
      const made = await call<WebhookEndpointCreatedBody>(scope, 'POST', prefixOf(scope), { url: url.trim(), ...(events.length ? { events } : {}) });
      setUrl('');
      setChosen(new Set());
      onCreated(made);
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="subform" onSubmit={submit} aria-label="Add a webhook endpoint">
      <h3>Add an endpoint</h3>
      <label className="field">
        Endpoint URL
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/tokenbank" required inputMode="url" />
      </label>
      <details className="event-types">
        <summary>Event types: {chosen.size === 0 ? 'all of them' : `${chosen.size} chosen`}</summary>
        <fieldset>
          <legend className="small muted">Send only these (none checked: every type, including ones added later)</legend>
          {EVENT_TYPE_LIST.map((t) => (
            <label key={t} className="check">
              <input type="checkbox" checked={chosen.has(t)} onChange={(e) => toggle(t, e.target.checked)} />
              {EVENT_TITLES[t]} <span className="muted small mono">{t}</span>
            </label>
          ))}
        </fieldset>
      </details>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add endpoint'}
      </button>
      <Problem error={problem} title="Endpoint not added" />
    </form>
  );
}

function NewSecret({ endpoint, onHide }: { endpoint: WebhookEndpointCreatedBody; onHide: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const field = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(endpoint.secret);
      setCopied(true);
    } catch {
      (document.getElementById(field) as HTMLInputElement | null)?.select();
      setCopied(false);
    }
  };
  return (
    <div className="done secret" role="status" data-testid="new-secret">
      <p>
        Added <span className="mono">{endpoint.url}</span>. Its signing secret verifies every delivery:
      </p>
      <label className="field">
        Signing secret
        <input id={field} className="mono" readOnly value={endpoint.secret} onFocus={(e) => e.target.select()} spellCheck={false} autoFocus />
      </label>
      <button type="button" onClick={() => void copy()}>
        Copy secret
      </button>{' '}
      <span aria-live="polite" className="small">
        {copied === true ? 'Copied.' : copied === false ? 'Could not copy: it is selected, press Ctrl+C (⌘C).' : ''}
      </span>
      <p>
        <strong>You will not see it again.</strong> Store it now where your receiver reads it; to change it, add a new endpoint and delete this one.
      </p>
      <button type="button" onClick={onHide}>
        I have stored it
      </button>
    </div>
  );
}

function Endpoint(props: { scope: WebhookScope; endpoint: WebhookEndpointBody; refresh: () => void; onDeleted: () => void }) {
  const { scope, endpoint: e, onDeleted } = props;
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const log = useId();
  const q = useId();
  const name = useId();
  const remove = async () => {
    setProblem(undefined);
    try {
      await call(scope, 'DELETE', `${prefixOf(scope)}/${e.id}`);
      onDeleted();
    } catch (err) {
      setProblem(err);
    }
  };
  return (
    <li className="endpoint" data-testid="endpoint" data-url={e.url}>
      <h4 className="mono" id={name}>
        {e.url}
      </h4>
      <p className="small">
        <span className={`pill ${e.status === 'enabled' ? 'on' : 'off'}`}>{e.status}</span>{' '}
        {e.status === 'disabled'
          ? `since ${when(e.disabled_at ?? e.created_at)}${e.disabled_reason ? `: ${e.disabled_reason}` : ''}. Redeliver one of its deliveries to enable it again.`
          : null}
        {e.failing_since && e.status === 'enabled' ? <span className="warn-text">failing since {when(e.failing_since)}</span> : null}
      </p>
      <p className="small">
        Sends: {e.events === null ? 'every event type' : e.events.map((t) => eventTitle(t)).join(', ')} · added {when(e.created_at)}
      </p>
      <button type="button" aria-expanded={open} aria-controls={log} aria-describedby={name} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide deliveries' : 'Deliveries'}
      </button>{' '}
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete ${e.url}…`}>
        Delete…
      </button>
      {confirming ? (
        <div className="confirm" role="alertdialog" aria-labelledby={q}>
          <p id={q}>
            <strong>Delete this endpoint?</strong> It stops receiving events at once, and its delivery log is deleted with it.
          </p>
          <button type="button" className="danger" onClick={() => void remove()}>
            Yes, delete it
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)} autoFocus>
            Keep it
          </button>
        </div>
      ) : null}
      <Problem error={problem} title="Not deleted" />
      <div id={log}>{open ? <DeliveryLog scope={scope} endpoint={e} refresh={props.refresh} /> : null}</div>
    </li>
  );
}

/** The log of one endpoint; while open it refreshes itself and the endpoint's status (`refresh`). */
function DeliveryLog({ scope, endpoint, refresh }: { scope: WebhookScope; endpoint: WebhookEndpointBody; refresh: () => void }) {
  const path = `${prefixOf(scope)}/${endpoint.id}/deliveries`;
  const [limit, setLimit] = useState(DELIVERIES_PAGE);
  const [version, setVersion] = useState(0);
  const list = useLoad(() => call<Page<WebhookDeliveryBody>>(scope, 'GET', `${path}?limit=${limit}`), `${path}|${limit}|${version}`);
  const [done, setDone] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(undefined);
  // New deliveries and attempts come from the server's worker: the open log refreshes itself.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.hidden) return;
      list.reload();
      refresh();
    }, LOG_REFRESH_MS);
    return () => clearInterval(timer);
  }, [list.reload, refresh]);
  const redeliver = async (d: WebhookDeliveryBody) => {
    setDone(null);
    setProblem(undefined);
    try {
      await call(scope, 'POST', `${path}/${d.id}/redeliver`);
      setDone(`${eventTitle(d.event_type)} (${d.webhook_id}) is due again now, with a fresh retry schedule.`);
      setVersion((v) => v + 1);
    } catch (err) {
      setProblem(err);
    }
  };
  return (
    <div className="subform">
      <h5>Delivery log</h5>
      {done ? <Done>{done}</Done> : null}
      <Problem error={problem} title="Not redelivered" />
      <Body loaded={list} what="deliveries" lines={2}>
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">Nothing sent yet: events written from now on appear here.</p>
          ) : (
            <>
              <div className="scroll-x">
                <Attempts deliveries={page.data} onRedeliver={(d) => void redeliver(d)} />
              </div>
              {page.has_more ? (
                <button type="button" onClick={() => setLimit((n) => n + DELIVERIES_PAGE)}>
                  More deliveries
                </button>
              ) : null}
            </>
          )
        }
      </Body>
      <button type="button" onClick={() => setVersion((v) => v + 1)}>
        Refresh
      </button>
    </div>
  );
}

const DELIVERY_WORDS: Record<WebhookDeliveryBody['status'], string> = { pending: 'pending', succeeded: 'delivered', failed: 'failed' };

function Attempts({ deliveries, onRedeliver }: { deliveries: WebhookDeliveryBody[]; onRedeliver: (d: WebhookDeliveryBody) => void }) {
  return (
    <table className="data deliveries" data-testid="delivery-log">
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Attempt</th>
          <th scope="col">Answer, time taken</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      {deliveries.map((d) => {
        const rows = d.log.length === 0 ? [null] : d.log;
        return (
          <tbody key={d.id} data-testid="delivery" data-status={d.status}>
            {rows.map((a, i) => (
              <tr key={a?.attempt ?? 0}>
                {i === 0 ? (
                  <td rowSpan={rows.length} className="wrap">
                    <strong>{eventTitle(d.event_type)}</strong>{' '}
                    <span className={`pill ${d.status === 'succeeded' ? 'on' : d.status}`}>{DELIVERY_WORDS[d.status]}</span>
                    <div className="muted small mono">{d.webhook_id}</div>
                    {d.status === 'pending' && d.next_attempt_at ? <div className="small">next attempt {fromNow(d.next_attempt_at)}</div> : null}
                    <button type="button" onClick={() => onRedeliver(d)} aria-label={`Redeliver ${eventTitle(d.event_type)} ${d.webhook_id}`}>
                      Redeliver
                    </button>
                  </td>
                ) : null}
                {a ? (
                  <>
                    <td>
                      #{a.attempt}
                      {i > 0 && a.attempt <= (rows[i - 1]?.attempt ?? 0) ? <span className="muted small"> redelivered</span> : null}
                    </td>
                    <td className="wrap" data-testid="attempt-answer">
                      {a.status_code !== null ? <strong>{a.status_code}</strong> : <strong>no answer</strong>}
                      {a.error && a.error !== `answered ${a.status_code}` ? <span className="small"> {a.error}</span> : null}
                      <span className="muted small" data-testid="attempt-duration">
                        {' '}
                        · {a.duration_ms} ms
                      </span>
                    </td>
                    <td>
                      <time dateTime={a.attempted_at}>{when(a.attempted_at)}</time>
                    </td>
                  </>
                ) : (
                  <td colSpan={3} className="muted">
                    not tried yet
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        );
      })}
    </table>
  );
}
