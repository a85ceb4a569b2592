// `orgs list|show|create` and `keys create|list|revoke` (issue 12): API organizations and their
// API keys, over /v1/orgs. A key's secret is printed once, by `keys create`, and never again:
// the server keeps only its hash. Every output says which organization it shows.
import type { Command } from 'commander';
import type { OrgBody, OrgSummaryBody } from '../../contract/orgs';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { formatUsd, shortDateTime } from '../format';
import { dollars } from '../input';
import { examples, group, readStdin, type Kit } from '../kit';
import { renderTable } from '../output';
import { limits } from '../../domain/limits';

/** The org a command speaks about: --org, or the caller's only org (also used by `members --org`). */
export async function orgOf(ctx: Ctx, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    if (given.trim() === '') throw usageError('--org: give an organization id (org_…)');
    return given.trim();
  }
  const page = await ctx.api.call('GET /v1/orgs', { query: { limit: '2' } });
  if (page.data.length === 1) return page.data[0]!.id;
  throw usageError(
    page.data.length === 0 ? 'You belong to no API organization.' : 'You belong to several API organizations; choose one.',
    'Pass --org <id> (`tokenbank orgs list` lists them).',
  );
}

/** The line every organization command starts with, so the output says whose it is. */
export function printOrgLine(ctx: Ctx, org: { id: string; name: string }): void {
  ctx.out.line(`${ctx.out.style.dim('Organization:')} ${org.name} (${org.id})`);
}

export function register(program: Command, kit: Kit): void {
  registerOrgs(program, kit);
  registerKeys(program, kit);
}

function registerOrgs(program: Command, kit: Kit): void {
  const orgs = group(program, 'orgs', 'API organizations: API credits, keys, tier and rate limits');
  examples(orgs, ['tokenbank orgs list', 'tokenbank orgs show org_…', 'TOKENBANK_TOKEN=tbo_… tokenbank orgs create "Acme API" --admin-email dev@acme.test']);

  const list = orgs
    .command('list')
    .description('The organizations you belong to (all of them, for the operator)')
    .option('--json', "print the API's list")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const page = await ctx.api.call('GET /v1/orgs', { query: { limit: String(limits.page_size_max) } });
      if (options.json) return ctx.out.json(page);
      if (page.data.length === 0) return ctx.out.line('No API organization.');
      const rows = page.data.map((o: OrgSummaryBody) => [o.id, o.name, o.role ?? 'operator', shortDateTime(o.created_at)]);
      ctx.out.line(renderTable(['ID', 'NAME', 'ROLE', 'CREATED'], rows, { style: ctx.out.style }));
    });
  examples(list, ['tokenbank orgs list', 'tokenbank orgs list --json']);

  const show = orgs
    .command('show')
    .description('API credits, the monthly limit, the tier and its rate limits')
    .argument('[id]', 'the organization (default: your only one)')
    .option('--json', "print the API's object")
    .action(async (id: string | undefined, options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const org = await ctx.api.call('GET /v1/orgs/{id}', { params: { id: await orgOf(ctx, id) } });
      if (options.json) return ctx.out.json(org);
      printOrg(ctx, org);
    });
  examples(show, ['tokenbank orgs show', 'tokenbank orgs show org_… --json']);

  const create = orgs
    .command('create')
    .description('Create an API organization with its first admin (operator)')
    .argument('<name>', 'its name')
    .requiredOption('--admin-email <email>', 'the first admin (an existing user, or a new one with --admin-password-stdin)')
    .option('--admin-password-stdin', "read a new admin's password from stdin")
    .option('--limit <dollars>', 'a monthly limit on API credits consumed (a hard cap)')
    .option('--json', "print the API's object")
    .action(async (name: string, options: { adminEmail: string; adminPasswordStdin?: boolean; limit?: string; json?: boolean }, command: Command) => {
      if (name.trim() === '') throw usageError('<name>: must not be empty');
      const limit = options.limit === undefined ? undefined : dollars('--limit', options.limit);
      const password = options.adminPasswordStdin ? await readStdin(kit.stdin) : undefined;
      const ctx = kit.context(command);
      const body = {
        name,
        admin_email: options.adminEmail,
        ...(password ? { admin_password: password } : {}),
        ...(limit !== undefined ? { monthly_limit_micros: limit } : {}),
      };
      const org = await ctx.api.call('POST /v1/orgs', { body, label: 'Creating the organization…' });
      if (options.json) return ctx.out.json(org);
      ctx.out.line(`${ctx.out.style.green('✓')} Created ${org.name} (${org.id}); admin ${org.admin?.email ?? options.adminEmail}.`);
    });
  examples(create, ['TOKENBANK_TOKEN=tbo_… tokenbank orgs create "Acme API" --admin-email dev@acme.test --limit 100']);
}

function printOrg(ctx: Ctx, org: OrgBody): void {
  printOrgLine(ctx, org);
  const limit =
    org.monthly_limit_micros === null ? 'no monthly limit' : `${formatUsd(org.spent_this_month_micros)} of ${formatUsd(org.monthly_limit_micros)} this month`;
  ctx.out.line(
    `API credits: ${formatUsd(org.credit_balance_micros)} (held ${formatUsd(org.held_micros)}, available ${formatUsd(org.available_micros)}) · ${limit}`,
  );
  const next = org.tier.next ? `; ${formatUsd(org.tier.next.remaining_micros)} more in purchases reaches tier ${org.tier.next.tier}` : '';
  ctx.out.line(`Tier ${org.tier.tier} (${formatUsd(org.tier.purchased_total_micros)} bought${next})`);
  const l = org.limits;
  ctx.out.line(
    `Rate limits: ${l.requests_per_minute} requests, ${l.input_tokens_per_minute} input tokens, ${l.output_tokens_per_minute} output tokens per minute`,
  );
}

function registerKeys(program: Command, kit: Kit): void {
  const keys = group(program, 'keys', 'API keys of an organization (paid by its API credits)');
  examples(keys, ['tokenbank keys create ci --limit 50', 'tokenbank keys list --org org_…', 'tokenbank keys revoke key_…']);

  const create = keys
    .command('create')
    .description('A new API key; its secret is printed once, now, and never again')
    .argument('<name>', 'a name to recognise it by')
    .option('--org <id>', 'the organization (default: your only one)')
    .option('--limit <dollars>', "the key's own monthly limit (a hard cap)")
    .option('--json', "print the API's object (with the secret)")
    .action(async (name: string, options: { org?: string; limit?: string; json?: boolean }, command: Command) => {
      if (name.trim() === '') throw usageError('<name>: must not be empty');
      const limit = options.limit === undefined ? undefined : dollars('--limit', options.limit);
      const ctx = kit.context(command);
      const id = await orgOf(ctx, options.org);
      const key = await ctx.api.call('POST /v1/orgs/{id}/keys', {
        params: { id },
        body: { name, ...(limit !== undefined ? { monthly_limit_micros: limit } : {}) },
      });
      if (options.json) return ctx.out.json(key);
      ctx.out.line(`${ctx.out.style.green('✓')} Created API key ${key.name} (${key.id}) in ${id}. Its secret, shown this once:`);
      ctx.out.line(key.secret);
      ctx.out.note('Store it now: Tokenbank keeps only its hash and cannot show it again.');
    });
  examples(create, ['tokenbank keys create ci', 'tokenbank keys create batch --limit 50 --org org_… --json']);

  const list = keys
    .command('list')
    .description("The organization's keys: prefix, name, limit, spent this month, last used (never the secret)")
    .option('--org <id>', 'the organization (default: your only one)')
    .option('--json', "print the API's list")
    .action(async (options: { org?: string; json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const id = await orgOf(ctx, options.org);
      const page = await ctx.api.call('GET /v1/orgs/{id}/keys', { params: { id } });
      if (options.json) return ctx.out.json(page);
      ctx.out.line(`${ctx.out.style.dim('Organization:')} ${id}`);
      if (page.data.length === 0) return ctx.out.line('No API key. Create one with `tokenbank keys create <name>`.');
      const rows = page.data.map((k) => [
        k.id,
        k.name,
        `${k.prefix}…`,
        k.monthly_limit_micros === null ? '—' : formatUsd(k.monthly_limit_micros),
        formatUsd(k.spent_this_month_micros),
        k.last_used_at ? shortDateTime(k.last_used_at) : 'never',
        k.revoked_at ? 'revoked' : 'active',
      ]);
      ctx.out.line(renderTable(['ID', 'NAME', 'PREFIX', 'LIMIT', 'SPENT', 'LAST USED', 'STATUS'], rows, { style: ctx.out.style }));
    });
  examples(list, ['tokenbank keys list', 'tokenbank keys list --org org_… --json']);

  const revoke = keys
    .command('revoke')
    .description('Revoke a key: refused at once by every server process')
    .argument('<key_id>', 'the key (key_…)')
    .option('--org <id>', 'the organization (default: your only one)')
    .option('--json', "print the API's object")
    .action(async (key_id: string, options: { org?: string; json?: boolean }, command: Command) => {
      if (key_id.trim() === '') throw usageError('<key_id>: must not be empty');
      const ctx = kit.context(command);
      const id = await orgOf(ctx, options.org);
      const key = await ctx.api.call('DELETE /v1/orgs/{id}/keys/{key_id}', { params: { id, key_id } });
      if (options.json) return ctx.out.json(key);
      ctx.out.line(`${ctx.out.style.green('✓')} Revoked API key ${key.name} (${key.id}) of ${id}.`);
    });
  examples(revoke, ['tokenbank keys revoke key_…']);
}
