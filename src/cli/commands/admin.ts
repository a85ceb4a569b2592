// Operator commands, under `admin`: accounts (list, search, create), the catalog (plans, models
// with dated prices, apps and who pays for them) and the gateway's service tokens. Later operator
// commands (grants, refunds) register here beside them.
import type { Command } from 'commander';
import { limits } from '../../domain/limits';
import type { Ctx } from '../context';
import { CliError, EXIT } from '../errors';
import { formatInt, formatUsd, formatUsdPrecise, utcMinute } from '../format';
import { integer } from '../input';
import { confirm, examples, group, promptHidden, readStdin, type Kit } from '../kit';
import { renderTable } from '../output';
import { WINDOW_LABEL } from '../views';
import { registerAdminCredits } from './admin-credits';

/** Refuses before any call when the token is not the operator's (a user would see only their own accounts). */
export async function requireOperator(ctx: Ctx): Promise<void> {
  const me = await ctx.api.call('GET /v1/me');
  if (me.kind !== 'operator') {
    throw new CliError(
      'forbidden',
      `This needs the operator token; you are signed in as ${me.user?.email ?? `a ${me.kind} token`}.`,
      EXIT.failed,
      'Pass the operator token with --token or TOKENBANK_TOKEN.',
    );
  }
}

export function register(program: Command, kit: Kit): void {
  const admin = group(program, 'admin', 'Operator commands: accounts, catalog, service tokens (need the operator token)');
  examples(admin, [
    'TOKENBANK_TOKEN=tbo_… tokenbank admin accounts --search acme',
    'tokenbank admin catalog',
    'tokenbank admin service-tokens create "gateway eu-1"',
  ]);
  registerAccounts(admin, kit);
  registerCatalog(admin, kit);
  registerServiceTokens(admin, kit);
  registerAdminCredits(admin, kit);
}

function operatorLine(ctx: Ctx): void {
  ctx.out.line(`${ctx.out.style.dim('Account:')} all accounts on ${ctx.server} (operator)`);
}

function registerAccounts(admin: Command, kit: Kit): void {
  const accounts = admin.command('accounts').description('List, search and create customer accounts');
  examples(accounts, [
    'tokenbank admin accounts',
    'tokenbank admin accounts --search acme',
    'tokenbank admin accounts create --name "Acme Inc" --plan team --seats 5 --owner-email ops@acme.example',
  ]);

  const list = accounts
    .command('list', { isDefault: true })
    .description('List accounts, newest first; --search matches names and ids')
    .option('--search <text>', 'part of a name or id')
    .option('--limit <n>', `at most n accounts (1–${limits.page_size_max})`, String(limits.page_size_default))
    .option('--json', "print the API's object")
    .action(async (options: { search?: string; limit: string; json?: boolean }, command: Command) => {
      const limit = integer('--limit', options.limit, 1, limits.page_size_max);
      const ctx = kit.context(command);
      await requireOperator(ctx);
      const body = await ctx.api.call('GET /v1/accounts', { query: { search: options.search, limit: String(limit) } });
      if (options.json) return ctx.out.json(body);
      operatorLine(ctx);
      if (body.data.length === 0) return ctx.out.line(options.search ? `No account matches "${options.search}".` : 'No accounts yet.');
      const rows = body.data.map((a) => [a.id, a.name, a.kind, a.plan ?? '—', String(a.seats), a.created_at.slice(0, 10)]);
      ctx.out.line(
        renderTable(['ID', 'NAME', 'KIND', 'PLAN', 'SEATS', 'CREATED'], rows, {
          style: ctx.out.style,
          align: ['left', 'left', 'left', 'left', 'right', 'left'],
        }),
      );
      if (body.data.length === limit) ctx.out.line(ctx.out.style.dim(`Showing the first ${limit}; narrow with --search or raise --limit.`));
    });
  examples(list, ['tokenbank admin accounts', 'tokenbank admin accounts list --search acme --json']);

  const create = accounts
    .command('create')
    .description('Create an account with its owner (a new owner needs a password)')
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--plan <plan>', 'plan id (see `tokenbank admin catalog`)')
    .requiredOption('--owner-email <email>', "the owner's email; an existing user is reused")
    .option('--owner-password-stdin', "read a new owner's password from stdin")
    .option('--seats <n>', 'seats, for per-seat plans')
    .option('--json', "print the API's account object")
    .action(
      async (options: { name: string; plan: string; ownerEmail: string; ownerPasswordStdin?: boolean; seats?: string; json?: boolean }, command: Command) => {
        const seats = options.seats === undefined ? undefined : integer('--seats', options.seats, 1, limits.seats_max);
        const ctx = kit.context(command);
        await requireOperator(ctx);
        let password: string | undefined;
        if (options.ownerPasswordStdin) password = await readStdin(kit.stdin);
        else if (kit.stdin.isTTY) password = (await promptHidden(kit, `Password for ${options.ownerEmail} (leave empty if the user exists): `)) || undefined;
        const body = {
          name: options.name,
          plan: options.plan,
          owner_email: options.ownerEmail,
          ...(password ? { owner_password: password } : {}),
          ...(seats !== undefined ? { seats } : {}),
        };
        const account = await ctx.api.call('POST /v1/accounts', { body });
        if (options.json) return ctx.out.json(account);
        const s = ctx.out.style;
        ctx.out.line(
          `${s.green('✓')} Created ${s.bold(account.name)} (${account.id}) · ${account.plan?.id ?? 'no'} plan · ${account.seats} seat${account.seats === 1 ? '' : 's'} · owner ${account.owner?.email ?? '?'} (${account.owner?.id ?? '?'})`,
        );
      },
    );
  examples(create, [
    'tokenbank admin accounts create --name "Ada Lovelace" --plan pro --owner-email ada@example.com',
    'echo "$PASSWORD" | tokenbank admin accounts create --name "Acme Inc" --plan team --seats 5 --owner-email ops@acme.example --owner-password-stdin',
  ]);
}

/** 1000 → "×1", 1500 → "×1.5": thousandths as an exact decimal. */
function multiplier(milli: number): string {
  const whole = Math.trunc(milli / 1000);
  const fraction = String(milli % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return `×${whole}${fraction ? `.${fraction}` : ''}`;
}

const WHO_PAYS: Record<string, string> = {
  first_party: 'plan allowance first, then extra usage (if on)',
  third_party: 'extra usage only, even when the allowance has room',
};

function registerCatalog(admin: Command, kit: Kit): void {
  const catalog = admin
    .command('catalog')
    .description('Plans, models with dated prices, apps and who pays for their requests')
    .option('--json', "print the API's catalog object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const body = await ctx.api.call('GET /v1/catalog');
      if (options.json) return ctx.out.json(body);
      const s = ctx.out.style;
      ctx.out.line(`${s.dim('Account:')} none — the catalog of ${ctx.server} applies to every account`);
      ctx.out.line();
      ctx.out.line(s.bold('Plans'));
      ctx.out.line(
        renderTable(
          ['ID', 'NAME', 'PRICE', 'EXTRA USAGE', 'ALLOWANCE WINDOWS (tokens)', 'REQ/MIN', 'TOKENS/MIN'],
          body.plans.map((p) => [
            p.id,
            p.name,
            `${formatUsd(p.price_micros)}${p.per_seat ? '/seat' : ''}`,
            p.extra_usage_allowed ? 'allowed' : 'no',
            p.windows.map((w) => `${WINDOW_LABEL[w.kind] ?? w.kind} ${formatInt(w.limit_tokens)}`).join(', ') || '—',
            formatInt(p.requests_per_minute),
            formatInt(p.tokens_per_minute),
          ]),
          { style: s, indent: '  ', align: ['left', 'left', 'right', 'left', 'left', 'right', 'right'] },
        ),
      );
      ctx.out.line();
      ctx.out.line(`${s.bold('Models and prices')} ${s.dim('($ per million tokens; a price applies from its date on)')}`);
      const now = new Date().toISOString();
      const in_force = new Map<string, string>();
      for (const p of [...body.prices].sort((a, b) => a.effective_at.localeCompare(b.effective_at))) if (p.effective_at <= now) in_force.set(p.model_id, p.id);
      const rows = body.models.flatMap((m) => {
        const versions = body.prices.filter((p) => p.model_id === m.id).sort((a, b) => a.effective_at.localeCompare(b.effective_at));
        if (versions.length === 0) return [[m.id, m.tier, multiplier(m.allowance_multiplier_milli), '—', '', '', '', '', '', '']];
        return versions.map((p, i) => [
          i === 0 ? m.id : '',
          i === 0 ? m.tier : '',
          i === 0 ? multiplier(m.allowance_multiplier_milli) : '',
          p.id,
          utcMinute(p.effective_at),
          formatUsdPrecise(p.input_micros_per_mtok),
          formatUsdPrecise(p.output_micros_per_mtok),
          formatUsdPrecise(p.cache_write_micros_per_mtok),
          formatUsdPrecise(p.cache_read_micros_per_mtok),
          in_force.get(m.id) === p.id ? s.green('in force') : p.effective_at > now ? s.yellow('scheduled') : s.dim('superseded'),
        ]);
      });
      ctx.out.line(
        renderTable(['MODEL', 'TIER', 'ALLOWANCE', 'PRICE VERSION', 'EFFECTIVE', 'INPUT', 'OUTPUT', 'CACHE WRITE', 'CACHE READ', ''], rows, {
          style: s,
          indent: '  ',
          align: ['left', 'left', 'right', 'left', 'left', 'right', 'right', 'right', 'right', 'left'],
        }),
      );
      ctx.out.line();
      ctx.out.line(s.bold('Apps and who pays'));
      ctx.out.line(
        renderTable(
          ['APP', 'KIND', 'FUNDING POLICY'],
          body.apps.map((a) => [a.id, a.kind, WHO_PAYS[a.kind] ?? '—']),
          { style: s, indent: '  ' },
        ),
      );
    });
  examples(catalog, ['tokenbank admin catalog', 'tokenbank admin catalog --json | jq ".prices[]"']);
}

function registerServiceTokens(admin: Command, kit: Kit): void {
  const tokens = admin.command('service-tokens').description("The model gateway's service tokens (metering calls only)");
  examples(tokens, [
    'tokenbank admin service-tokens',
    'tokenbank admin service-tokens create "gateway eu-1"',
    'tokenbank admin service-tokens revoke tok_… --yes',
  ]);

  const list = tokens
    .command('list', { isDefault: true })
    .description('List service tokens (never their secrets)')
    .option('--json', "print the API's object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const body = await ctx.api.call('GET /v1/service-tokens');
      if (options.json) return ctx.out.json(body);
      operatorLine(ctx);
      if (body.data.length === 0) return ctx.out.line('No service tokens. Create one with `tokenbank admin service-tokens create <name>`.');
      ctx.out.line(
        renderTable(
          ['ID', 'NAME', 'CREATED'],
          body.data.map((t) => [t.id, t.name ?? '', utcMinute(t.created_at)]),
          { style: ctx.out.style },
        ),
      );
    });
  examples(list, ['tokenbank admin service-tokens', 'tokenbank admin service-tokens list --json']);

  const create = tokens
    .command('create')
    .description('Create a service token for the model gateway; the secret is shown once')
    .argument('<name>', 'what the token is for, e.g. "gateway eu-1"')
    .option('--json', "print the API's object (with the secret)")
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const body = await ctx.api.call('POST /v1/service-tokens', { body: { name } });
      if (options.json) return ctx.out.json(body);
      operatorLine(ctx);
      const s = ctx.out.style;
      ctx.out.line(`${s.green('✓')} Created service token ${body.id} (${body.name}). The secret, shown this once:`);
      ctx.out.line(`  ${s.bold(body.token)}`);
      ctx.out.line(s.dim('Give it to the gateway as its bearer token; Tokenbank stores only a hash.'));
    });
  examples(create, ['tokenbank admin service-tokens create "gateway eu-1"', 'tokenbank admin service-tokens create ci --json | jq -r .token']);

  const revoke = tokens
    .command('revoke')
    .description('Revoke a service token: the gateway using it is refused from now on')
    .argument('<id>', 'token id (tok_…)')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .option('--json', "print the API's object")
    .action(async (id: string, options: { yes?: boolean; json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      if (!(await confirm(kit, `Revoke service token ${id}? A gateway using it is refused from now on.`, options.yes)))
        throw new CliError('cancelled', 'Nothing was revoked.', EXIT.failed);
      const body = await ctx.api.call('DELETE /v1/service-tokens/{id}', { params: { id } });
      if (options.json) return ctx.out.json(body);
      operatorLine(ctx);
      ctx.out.line(`${ctx.out.style.green('✓')} Revoked service token ${body.id}.`);
    });
  examples(revoke, ['tokenbank admin service-tokens revoke tok_… --yes']);
}
