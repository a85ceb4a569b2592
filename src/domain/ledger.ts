// Double-entry transfers (SPEC §1.1). Every movement of money is one transfer: a debit of one
// book and a credit of another, same amount, insert-only. Customer books are scoped by account;
// operator books have no stored balance (derived from transfers), so nothing hot is updated.
import type { Draw } from './wallet';

export const BOOKS = {
  purchased: 'customer.purchased',
  promotional: 'customer.promotional',
  cash: 'operator.cash',
  revenue: 'operator.revenue',
  promotions: 'operator.promotions',
} as const;

export type Book = (typeof BOOKS)[keyof typeof BOOKS];
export const CUSTOMER_BOOKS: readonly Book[] = [BOOKS.purchased, BOOKS.promotional];

export type TransferKind = 'purchase' | 'usage' | 'grant' | 'grant_expiry' | 'refund' | 'refund_reversal';

export interface Transfer {
  account_id: string;
  kind: TransferKind;
  debit_book: Book;
  credit_book: Book;
  amount_micros: number;
  grant_id: string | null;
  reference_id: string;
  created_at_ms: number;
}

/**
 * The ledger's sign convention, written once: a book's balance is Σ credits − Σ debits.
 * Customer books (purchased, promotional) are what we owe the customer.
 */
export const BALANCE_SIGN = { credit: 1, debit: -1 } as const;

/** What `t` adds to `book`'s balance (0 when it does not touch it). */
export function balanceDelta(t: Pick<Transfer, 'debit_book' | 'credit_book' | 'amount_micros'>, book: Book): number {
  return (t.credit_book === book ? BALANCE_SIGN.credit * t.amount_micros : 0) + (t.debit_book === book ? BALANCE_SIGN.debit * t.amount_micros : 0);
}

export function usageTransfers(account_id: string, draws: Draw[], reference_id: string, now_ms: number): Transfer[] {
  return draws
    .filter((d) => d.amount_micros > 0)
    .map((d) => ({
      account_id,
      kind: 'usage' as const,
      debit_book: d.grant_id === null ? BOOKS.purchased : BOOKS.promotional,
      credit_book: BOOKS.revenue,
      amount_micros: d.amount_micros,
      grant_id: d.grant_id,
      reference_id,
      created_at_ms: now_ms,
    }));
}

export function purchaseTransfer(account_id: string, amount_micros: number, purchase_id: string, now_ms: number): Transfer {
  return {
    account_id,
    kind: 'purchase',
    debit_book: BOOKS.cash,
    credit_book: BOOKS.purchased,
    amount_micros,
    grant_id: null,
    reference_id: purchase_id,
    created_at_ms: now_ms,
  };
}

export function grantTransfer(account_id: string, amount_micros: number, grant_id: string, now_ms: number): Transfer {
  return {
    account_id,
    kind: 'grant',
    debit_book: BOOKS.promotions,
    credit_book: BOOKS.promotional,
    amount_micros,
    grant_id,
    reference_id: grant_id,
    created_at_ms: now_ms,
  };
}

export function grantExpiryTransfer(account_id: string, amount_micros: number, grant_id: string, now_ms: number): Transfer {
  return {
    account_id,
    kind: 'grant_expiry',
    debit_book: BOOKS.promotional,
    credit_book: BOOKS.promotions,
    amount_micros,
    grant_id,
    reference_id: grant_id,
    created_at_ms: now_ms,
  };
}

export function refundTransfer(account_id: string, amount_micros: number, refund_id: string, now_ms: number): Transfer {
  return {
    account_id,
    kind: 'refund',
    debit_book: BOOKS.purchased,
    credit_book: BOOKS.cash,
    amount_micros,
    grant_id: null,
    reference_id: refund_id,
    created_at_ms: now_ms,
  };
}

/** A refund the provider refused: the credits its start took out of the purchased book go back. */
export function refundReversalTransfer(account_id: string, amount_micros: number, refund_id: string, now_ms: number): Transfer {
  return {
    account_id,
    kind: 'refund_reversal',
    debit_book: BOOKS.cash,
    credit_book: BOOKS.purchased,
    amount_micros,
    grant_id: null,
    reference_id: refund_id,
    created_at_ms: now_ms,
  };
}

export interface AuditFinding {
  check: string;
  account_id: string | null;
  expected: number;
  actual: number;
  message: string;
}
