// The signed-in user's pending invitations (GET /v1/invitations), to accounts and to API
// organizations alike, answered here: accepting makes them a member at once (the account joins
// the switcher, an organization the API console), declining ends the invitation. Nothing shows
// when there is none.
import { useState } from 'react';
import type { InvitationBody, InvitationListBody } from '../../src/contract/members';
import { api } from './api';
import { day } from './time';
import { Done, Problem, Section, useLoad } from './ui';

const kindWord = (i: InvitationBody) => (i.account_kind === 'api_org' ? 'API organization' : 'account');

export function PendingInvitations({ joined }: { joined: () => void }) {
  const [version, setVersion] = useState(0);
  const list = useLoad(() => api<InvitationListBody>('GET', '/v1/invitations'), `invitations|${version}`);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const answer = async (invitation: InvitationBody, how: 'accept' | 'decline') => {
    setBusy(invitation.id);
    setProblem(undefined);
    setOutcome(null);
    try {
      await api<InvitationBody>('POST', `/v1/invitations/${invitation.id}/${how}`);
      const name = invitation.account_name ?? invitation.account_id;
      setOutcome(how === 'accept' ? `You joined ${name} as ${invitation.role}.` : `You declined the invitation to ${name}.`);
      setVersion((v) => v + 1);
      if (how === 'accept') joined();
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(null);
    }
  };
  const pending = list.data?.data ?? [];
  if (pending.length === 0 && outcome === null && problem === undefined) return null;
  return (
    <Section title="Invitations" id="invitations">
      {pending.length > 0 ? (
        <ul className="plain">
          {pending.map((i) => (
            <li key={i.id} data-testid={`invitation-${i.id}`}>
              <strong>{i.account_name ?? i.account_id}</strong> ({kindWord(i)}) invites you as {i.role}
              <span className="muted small"> · until {day(i.expires_at)}</span>{' '}
              <button type="button" className="primary" disabled={busy !== null} onClick={() => void answer(i, 'accept')}>
                Accept
              </button>{' '}
              <button type="button" disabled={busy !== null} onClick={() => void answer(i, 'decline')}>
                Decline
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <Problem error={problem} title="Invitation not answered" />
      {outcome ? <Done>{outcome}</Done> : null}
    </Section>
  );
}
