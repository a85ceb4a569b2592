// One account's page, as its owner, billing member or member sees it (and the operator).
import { useState } from 'react';
import type { ExtraUsageBody } from '../../src/contract/schemas';
import type { AccountBody, CatalogBodyView, Page, PaymentMethodBody, TransactionBody, UsageRecordBody } from '../../src/contract/views';
import { api } from './api';
import { AutoReloadSection, ExtraUsageSection, ForecastSection, LimitSection, PlanSection, type Caller } from './account';
import { CreditsSection } from './credits';
import { RequestsSection, TransactionsSection } from './activity';
import { NotificationsSection } from './notifications';
import { WebhooksSection } from './webhooks';
import { HistorySection } from './history';
import { useLoad } from './ui';

export function AccountPage({ account_id, caller }: { account_id: string; caller: Caller }) {
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const o = { as_operator: caller.as_operator };
  const get =
    <T,>(path: string) =>
    () =>
      api<T>('GET', path, undefined, o);
  const key = `${account_id}|${version}`;
  const base = `/v1/accounts/${account_id}`;
  const account = useLoad(get<AccountBody>(base), key);
  const extra = useLoad(get<ExtraUsageBody>(`${base}/extra-usage`), key);
  const catalog = useLoad(get<CatalogBodyView>('/v1/catalog'), 'catalog');
  const cards = useLoad(caller.can_money ? get<{ data: PaymentMethodBody[] }>(`${base}/payment-methods`) : async () => ({ data: [] }), key);
  const records = useLoad(get<Page<UsageRecordBody>>(`${base}/usage-records?limit=25`), key);
  const transactions = useLoad(get<Page<TransactionBody>>(`${base}/transactions?limit=200`), key);
  return (
    <div className="grid">
      <PlanSection account={account} catalog={catalog} />
      <ExtraUsageSection account_id={account_id} caller={caller} extra={extra} cards={caller.can_money ? cards : null} changed={changed} />
      <LimitSection account_id={account_id} caller={caller} extra={extra} changed={changed} />
      <AutoReloadSection account_id={account_id} caller={caller} extra={extra} changed={changed} />
      <ForecastSection extra={extra} />
      <CreditsSection account_id={account_id} caller={caller} extra={extra} version={version} changed={changed} />
      <div className="wide">
        <HistorySection account_id={account_id} caller={caller} version={version} />
      </div>
      <div className="wide">
        <RequestsSection records={records} transactions={transactions} />
      </div>
      <div className="wide pair">
        <TransactionsSection transactions={transactions} />
        <NotificationsSection account_id={account_id} caller={caller} version={version} context={{ extra_usage_on: extra.data?.enabled }} />
      </div>
      <div className="wide">
        <WebhooksSection scope={{ account_id, as_operator: caller.as_operator, can_manage: caller.can_money || caller.as_operator }} />
      </div>
    </div>
  );
}
