// What refunds, campaign codes and lapse notices need from the store (issue 11), kept apart
// from ports.ts so that file only gains the two `extends`.
import type { LapseNotice } from '../domain/lapse';
import type { Promotion } from '../domain/promotions';
import type { RefundablePurchase, RefundRecord } from '../domain/refunds';

export interface PromotionClaimRow {
  promotion_id: string;
  account_id: string;
  grant_id: string;
  claimed_at_ms: number;
}

/** Writes and locked reads inside one transaction (the account is locked first by the caller). */
export interface CreditsTx {
  /** The account's succeeded purchases with something left to refund, read under the account lock. */
  refundablePurchases(account_id: string): Promise<RefundablePurchase[]>;
  /** Adds `delta_micros` (negative to give back) to each purchase's refunded amount. */
  addPurchasesRefunded(rows: Array<{ purchase_id: string; delta_micros: number }>): Promise<void>;
  getRefundByKey(account_id: string, idempotency_key: string): Promise<RefundRecord | undefined>;
  getRefund(id: string): Promise<RefundRecord | undefined>;
  insertRefund(row: RefundRecord): Promise<void>;
  updateRefund(row: RefundRecord): Promise<void>;

  insertPromotion(row: Promotion & { created_by: string }): Promise<void>;
  /** Locks and reads a promotion by its (normalized) code, FOR UPDATE: claims of one code run one at a time. */
  lockPromotionByCode(code: string): Promise<Promotion | undefined>;
  /** Records a claim and counts it on the promotion (promotion_claims_one_per_account refuses a second). */
  insertPromotionClaim(row: PromotionClaimRow): Promise<void>;

  /** The lapse notices already sent to the account for the lapse at `lapses_at_ms`. */
  lapseNoticesSent(account_id: string, lapses_at_ms: number): Promise<Set<LapseNotice>>;
  /** Records a notice as sent; false when it already was (nothing written). */
  recordLapseNotice(account_id: string, kind: LapseNotice, lapses_at_ms: number, now_ms: number): Promise<boolean>;
}

/** Reads outside a transaction. */
export interface CreditsReads {
  listRefunds(input: { account_id: string; limit: number; before_id?: string }): Promise<RefundRecord[]>;
  /** Refunds still pending that were started at or before `started_before_ms`, oldest first. */
  pendingRefunds(started_before_ms: number, limit: number): Promise<RefundRecord[]>;
  /** Promotions by code, with their claim counts. */
  listPromotions(input: { limit: number; after_code?: string }): Promise<Promotion[]>;
  /** Succeeded purchases of the account with something left to refund (for the view's refundable figure). */
  readRefundablePurchases(account_id: string): Promise<RefundablePurchase[]>;
  /**
   * Accounts with a lapse notice due: lapsed ones without `plan.lapsed`, and those lapsing
   * within `notice_ms` without `plan.lapsing`, for their current lapse instant.
   */
  lapseNoticeCandidates(now_ms: number, notice_ms: number, limit: number): Promise<string[]>;
}
