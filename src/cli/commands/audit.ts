// `audit`: the ledger proof of SPEC §1.1 — every currency sums to zero, every wallet equals its
// entries, holds and grants agree. Over the API (operator token), or straight on the database
// with --local, or when DATABASE_URL / TOKENBANK_DATA_DIR is set and --server is not given.
// Exit 1 when anything does not balance.
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors';
import { formatInt } from '../format';
import { examples, type Kit } from '../kit';
import { renderTable } from '../output';
import type { AuditResult } from '../local';

export function register(program: Command, kit: Kit): void {
  const audit = program
    .command('audit')
    .description('Prove the ledger balances (all accounts); exit 1 when anything does not')
    .option('--local', 'read the database directly (DATABASE_URL, else TOKENBANK_DATA_DIR or ./data) instead of the API')
    .option('--json', "print the audit object (the API's, also with --local)")
    .action(async (options: { local?: boolean; json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const env = ctx.streams.env;
      const local = options.local || (!ctx.globals.server && Boolean(env.DATABASE_URL || env.TOKENBANK_DATA_DIR));
      let result: AuditResult;
      let where: string;
      if (local) {
        const { localAudit, localTarget } = await import('../local');
        const target = localTarget(env);
        where = target.description;
        result = await ctx.out.spin(`Auditing ${where}…`, () => localAudit(target));
      } else {
        where = ctx.server;
        result = await ctx.api.call('GET /v1/audit', { label: `Auditing the ledger of ${ctx.server}…` });
      }
      if (options.json) ctx.out.json(result);
      else print(ctx.out, result, where);
      if (!result.ok)
        throw new CliError(
          'audit_failed',
          `The ledger does not balance: ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} in ${where}.`,
          EXIT.failed,
          'Keep the database as it is and report the findings; nothing repairs itself.',
        );
    });
  examples(audit, [
    'TOKENBANK_TOKEN=tbo_… tokenbank audit',
    'tokenbank audit --json',
    'TOKENBANK_DATA_DIR=./data tokenbank audit        # the embedded database, server stopped',
    'DATABASE_URL=postgres://… tokenbank audit --local',
  ]);
}

function print(out: import('../output').Output, result: AuditResult, where: string): void {
  const s = out.style;
  out.line(`${s.dim('Account:')} all accounts, in ${where}`);
  const currencies = new Map<string, { sum: number; books: number }>();
  for (const [key, balance] of Object.entries(result.totals)) {
    const currency = key.split(':')[0]!;
    const entry = currencies.get(currency) ?? { sum: 0, books: 0 };
    entry.sum += balance;
    entry.books += 1;
    currencies.set(currency, entry);
  }
  out.line(`  ${s.dim('transfers checked'.padEnd(20))}${formatInt(result.transfers_checked)}`);
  out.line(`  ${s.dim('accounts checked'.padEnd(20))}${formatInt(result.accounts_checked)}`);
  for (const [currency, c] of currencies)
    out.line(`  ${s.dim(`Σ ${currency}`.padEnd(20))}${formatInt(c.sum)} micros over ${c.books} books ${c.sum === 0 ? s.green('✓') : s.red('✗')}`);
  if (result.ok) {
    out.line(`${s.green('✓')} The ledger balances: every currency sums to zero and every wallet, hold and grant equals its entries.`);
    return;
  }
  out.line(`${s.red('✗')} ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}:`);
  out.line(
    renderTable(
      ['CHECK', 'ACCOUNT', 'EXPECTED', 'ACTUAL', 'MESSAGE'],
      result.findings.map((f) => [f.check, f.account_id ?? '—', formatInt(f.expected), formatInt(f.actual), f.message]),
      { style: s, indent: '  ', align: ['left', 'left', 'right', 'right', 'left'] },
    ),
  );
}
