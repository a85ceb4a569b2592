// `accounts` (list, the active one marked) and `accounts use <id|name>`.
import type { Command } from 'commander';
import { writeConfig } from '../config';
import { matchAccount } from '../context';
import { CliError, EXIT } from '../errors';
import { examples, type Kit } from '../kit';
import { renderTable } from '../output';

export function register(program: Command, kit: Kit): void {
  const accounts = program.command('accounts').description('List your accounts and choose the active one');
  examples(accounts, ['tokenbank accounts', 'tokenbank accounts use "Acme Inc"', 'tokenbank accounts use acct_…']);

  const list = accounts
    .command('list', { isDefault: true })
    .description('List the accounts you belong to; * marks the active one')
    .option('--json', "print the API's object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const body = await ctx.api.call('GET /v1/accounts');
      if (options.json) return ctx.out.json(body);
      const active = ctx.accountChoice?.value;
      const activeId = active ? (matchAccount(body.data, active)?.id ?? null) : body.data.length === 1 ? body.data[0]!.id : null;
      if (body.data.length === 0) return ctx.out.line(`No accounts on ${ctx.server}.`);
      const s = ctx.out.style;
      const rows = body.data.map((a) => [a.id === activeId ? s.green('*') : ' ', a.id, a.name, a.plan ?? '—', a.role ?? '—', String(a.seats)]);
      ctx.out.line(renderTable([' ', 'ID', 'NAME', 'PLAN', 'ROLE', 'SEATS'], rows, { style: s, align: ['left', 'left', 'left', 'left', 'left', 'right'] }));
      if (!activeId && body.data.length > 1) ctx.out.line(s.dim('\nNo active account: choose one with `tokenbank accounts use <id|name>`.'));
    });
  examples(list, ['tokenbank accounts', 'tokenbank accounts list --json']);

  const use = accounts
    .command('use')
    .description('Make an account the active one (stored in the config file)')
    .argument('<account>', 'account id or name')
    .action(async (value: string, _options: unknown, command: Command) => {
      const ctx = kit.context(command);
      const found = matchAccount(await ctx.listAccounts(value), value);
      if (!found) throw new CliError('not_found', `You do not belong to an account "${value}".`, EXIT.failed, 'Run `tokenbank accounts` to list them.');
      const stored = ctx.config;
      if (stored && stored.server !== ctx.server && stored.token) {
        throw new CliError(
          'config_conflict',
          `The config file belongs to ${stored.server}; this command talks to ${ctx.server}.`,
          EXIT.failed,
          `Sign in to ${ctx.server} first (tokenbank --server ${ctx.server} login), or pass --account on each command.`,
        );
      }
      writeConfig(ctx.config_path, { ...(stored ?? {}), server: ctx.server, account: found.id });
      ctx.out.line(
        `${ctx.out.style.green('✓')} Active account: ${ctx.out.style.bold(found.name)} (${found.id}) · ${found.plan ?? 'no'} plan · you are ${found.role ?? 'operator'}`,
      );
    });
  examples(use, ['tokenbank accounts use "Acme Inc"', 'tokenbank accounts use acct_…']);
}
