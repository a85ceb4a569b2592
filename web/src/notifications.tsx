// Notifications: the account's events (GET /v1/accounts/{id}/events), newest first, each with
// its time, its type and a line in words; "More" follows the page's cursor.
import { useState } from 'react';
import type { EventBody, Page } from '../../src/contract/views';
import { api } from './api';
import type { Caller } from './account';
import { describeEvent, eventTitle, type NoticeContext } from './notice-words';
import { when } from './time';
import { Body, Problem, Section, useLoad } from './ui';

const PAGE_SIZE = 20;

interface More {
  key: string;
  items: EventBody[];
  cursor: string | null;
}

export function NotificationsSection(props: { account_id: string; caller: Caller; version: number; context?: NoticeContext }) {
  const { account_id, caller } = props;
  const key = `${account_id}|${props.version}`;
  const path = `/v1/accounts/${account_id}/events?limit=${PAGE_SIZE}`;
  const first = useLoad(() => api<Page<EventBody>>('GET', path, undefined, { as_operator: caller.as_operator }), key);
  const [more, setMore] = useState<More | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const mine = more?.key === key ? more : null;
  const firstCursor = first.data?.has_more ? first.data.next_cursor : null;
  const cursor = mine ? mine.cursor : firstCursor;
  const loadMore = async () => {
    if (!cursor) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const page = await api<Page<EventBody>>('GET', `${path}&cursor=${encodeURIComponent(cursor)}`, undefined, { as_operator: caller.as_operator });
      setMore({ key, items: [...(mine?.items ?? []), ...page.data], cursor: page.has_more ? page.next_cursor : null });
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Notifications" id="notifications">
      <Body loaded={first} what="notifications" lines={4}>
        {(page) => {
          const seen = new Set<number>();
          const all = [...page.data, ...(mine?.items ?? [])].filter((e) => !seen.has(e.id) && seen.add(e.id));
          if (all.length === 0) return <p className="muted">No notifications yet: purchases, reloads, low balance, limits and plan changes appear here.</p>;
          return (
            <>
              <ol className="events notices" data-testid="notifications">
                {all.map((e) => (
                  <li key={e.id}>
                    <div>
                      <strong>{eventTitle(e.type)}</strong> <span className="muted small mono">{e.type}</span>
                    </div>
                    <div className="notice-line">{describeEvent(e, props.context)}</div>
                    <time className="muted small" dateTime={e.created_at}>
                      {when(e.created_at)}
                    </time>
                  </li>
                ))}
              </ol>
              <p className="muted small" aria-live="polite">
                Showing {all.length} notification{all.length === 1 ? '' : 's'}, newest first{cursor ? '' : ' — that is all of them'}.
              </p>
              {cursor ? (
                <button type="button" onClick={() => void loadMore()} disabled={busy}>
                  {busy ? 'Loading…' : 'More'}
                </button>
              ) : null}
              <Problem error={problem} title="Could not load more notifications" />
            </>
          );
        }}
      </Body>
    </Section>
  );
}
