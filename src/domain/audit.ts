// The audit's comparisons (SPEC §1.1): the store only sums; what must equal what is decided here.
// Every customer book's stored balance is re-proved from the insert-only transfers, every
// currency's books sum to zero, and holds, late holds, grants and the spend counter agree with
// the rows they summarise.
import { BOOKS, type AuditFinding } from './ledger';

/** Σ credits and Σ debits of one book in one currency, over all transfers. */
export interface BookSum {
  currency: string;
  book: string;
  credits: number;
  debits: number;
  /** Transfer legs on this book (each transfer has two). */
  legs: number;
}

/** One wallet's stored figures next to the sums of the rows they must equal. */
export interface WalletSums {
  account_id: string;
  purchased_micros: number;
  promotional_micros: number;
  held_micros: number;
  late_held_micros: number;
  spent_cycle_micros: number;
  ledger_purchased: number;
  ledger_promotional: number;
  open_holds: number;
  late_holds: number;
  grants_remaining: number;
  cycle_usage: number;
  ledger_usage: number;
  usage_charged: number;
  /** Σ of the purchases' refunded amounts, and Σ refund − refund_reversal transfers: a refund moves both. */
  purchases_refunded: number;
  ledger_refunded: number;
}

export interface GrantSums {
  id: string;
  account_id: string;
  remaining_micros: number;
  ledger: number;
}

export interface AuditSums {
  books: BookSum[];
  wallets: WalletSums[];
  grants: GrantSums[];
}

export interface AuditResult {
  findings: AuditFinding[];
  totals: Record<string, number>;
  accounts_checked: number;
  transfers_checked: number;
}

const KNOWN_BOOKS: readonly string[] = Object.values(BOOKS);

/** The wallet figures and what each must equal: [check, stored, summed, what]. */
const WALLET_CHECKS: Array<[string, keyof WalletSums, keyof WalletSums, string]> = [
  ['purchased_equals_entries', 'purchased_micros', 'ledger_purchased', 'purchased balance'],
  ['promotional_equals_entries', 'promotional_micros', 'ledger_promotional', 'promotional balance'],
  ['promotional_equals_grants', 'promotional_micros', 'grants_remaining', 'promotional balance (vs grants)'],
  ['held_equals_open_holds', 'held_micros', 'open_holds', 'held amount'],
  ['late_held_equals_expired_holds_in_window', 'late_held_micros', 'late_holds', 'held against the limit for late settlements'],
  ['spent_equals_cycle_usage', 'spent_cycle_micros', 'cycle_usage', 'spent this cycle'],
  ['usage_records_equal_usage_transfers', 'usage_charged', 'ledger_usage', 'extra usage charged in usage records'],
  ['purchases_refunded_equal_refund_transfers', 'purchases_refunded', 'ledger_refunded', 'refunded on purchases'],
];

export function auditFindings(sums: AuditSums): AuditResult {
  const findings: AuditFinding[] = [];
  const totals: Record<string, number> = {};
  const per_currency = new Map<string, number>();
  let legs = 0;
  for (const b of sums.books) {
    const balance = b.credits - b.debits;
    totals[`${b.currency}:${b.book}`] = balance;
    per_currency.set(b.currency, (per_currency.get(b.currency) ?? 0) + balance);
    legs += b.legs;
    if (!KNOWN_BOOKS.includes(b.book))
      findings.push({ check: 'known_book', account_id: null, expected: 0, actual: balance, message: `unknown book ${b.book}` });
  }
  for (const [currency, sum] of per_currency) {
    if (sum !== 0)
      findings.push({ check: 'currency_sums_to_zero', account_id: null, expected: 0, actual: sum, message: `Σ of all ${currency} books is ${sum}, not 0` });
  }
  const check = (name: string, account_id: string, expected: number, actual: number, what: string) => {
    if (expected !== actual)
      findings.push({ check: name, account_id, expected, actual, message: `${account_id}: ${what} is ${actual}, entries say ${expected}` });
  };
  for (const w of sums.wallets) {
    for (const [name, stored, summed, what] of WALLET_CHECKS) check(name, w.account_id, w[summed] as number, w[stored] as number, what);
  }
  for (const g of sums.grants) check('grant_equals_entries', g.account_id, g.ledger, g.remaining_micros, `grant ${g.id} remaining`);
  return { findings, totals, accounts_checked: sums.wallets.length, transfers_checked: legs / 2 };
}
