// A purchase the person's bank asks them to confirm (3-D Secure): the Add credits form answers
// 402 authentication_required with the payment and the confirm route. With real Stripe the bank's
// step happens at the returned next-action URL (or in Stripe.js with the client secret); once the
// person has done it, Confirm calls the confirm route, which reads the payment again and credits
// it. In the sandbox there is no bank step: Confirm completes the payment.
import { useState } from 'react';
import type { CreditsBody } from '../../src/contract/views';
import { api } from './api';
import { usd } from './money';
import { Problem } from './ui';

export interface PendingPayment {
  purchase_id: string;
  amount_micros: number;
  confirm_path: string;
  next_action_url: string | null;
}

/** The figures of a 402 authentication_required answer, when they are all there. */
export function pendingPaymentOf(figures: Record<string, unknown>): PendingPayment | null {
  const { purchase_id, amount_micros, confirm_path, next_action_url } = figures;
  if (typeof purchase_id !== 'string' || typeof amount_micros !== 'number' || typeof confirm_path !== 'string') return null;
  return { purchase_id, amount_micros, confirm_path, next_action_url: typeof next_action_url === 'string' ? next_action_url : null };
}

export function ConfirmPayment(props: { pending: PendingPayment; as_operator: boolean; done: (result: CreditsBody) => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const confirm = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      props.done(await api<CreditsBody>('POST', props.pending.confirm_path, undefined, { as_operator: props.as_operator }));
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  const url = props.pending.next_action_url;
  return (
    <div className="notice" role="status" data-testid="confirm-payment">
      <p>
        <strong>Your bank asks you to confirm this payment</strong> of {usd(props.pending.amount_micros)}. Nothing is charged or added until you do.
      </p>
      {url ? (
        <p className="small">
          Confirm it with your bank first:{' '}
          <a href={url} target="_blank" rel="noopener noreferrer">
            open your bank’s page
          </a>
          , then come back and press Confirm.
        </p>
      ) : null}
      <button type="button" className="primary" onClick={confirm} disabled={busy}>
        {busy ? 'Confirming…' : 'Confirm'}
      </button>
      <Problem error={problem} title="Not confirmed" />
    </div>
  );
}
