// Sign-in: `login` (email + password → a personal access token stored 0600), `logout`, `whoami`.
import type { MeBody } from '../../contract/views';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { deleteConfig, writeConfig, type StoredConfig } from '../config';
import type { Ctx } from '../context';
import { CliError, usageError } from '../errors';
import { integer } from '../input';
import { examples, prompt, promptHidden, readStdin, type Kit } from '../kit';
import { shortDate } from '../format';

export const session_limits = {
  /** Personal access tokens made by `login` expire; `login` again makes a new one. */
  token_ttl_days_default: 90,
  token_ttl_days_max: 365,
} as const;

type Me = MeBody;

export function register(program: Command, kit: Kit): void {
  registerLogin(program, kit);
  registerLogout(program, kit);
  registerWhoami(program, kit);
}

function registerLogin(program: Command, kit: Kit): void {
  const login = program
    .command('login')
    .description('Sign in with email and password; stores a personal access token (mode 0600)')
    .option('--email <email>', 'your email (asked on a terminal when missing)')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .option('--ttl-days <days>', `days until the stored token expires (1–${session_limits.token_ttl_days_max})`, String(session_limits.token_ttl_days_default))
    .action(async (options: { email?: string; passwordStdin?: boolean; ttlDays: string }, command: Command) => {
      const ctx = kit.context(command);
      const ttl_days = integer('--ttl-days', options.ttlDays, 1, session_limits.token_ttl_days_max);
      if (ctx.globals.token) return storeGivenToken(ctx, ctx.globals.token);
      const email = options.email ?? (kit.stdin.isTTY ? await prompt(kit, 'Email: ') : undefined);
      if (!email)
        throw usageError(
          '--email is required when there is no terminal to ask.',
          'Example: tokenbank login --email you@example.com --password-stdin < password.txt',
        );
      let password: string;
      if (options.passwordStdin) password = await readStdin(kit.stdin);
      else if (kit.stdin.isTTY) password = await promptHidden(kit, 'Password: ');
      else throw usageError('No terminal to ask for the password.', 'Pipe it in with --password-stdin.');
      if (!password) throw usageError('The password is empty.');

      const session = await ctx.api.call('POST /v1/sessions', { body: { email, password }, token: null, label: 'Signing in…' });
      const created = await ctx.api.call('POST /v1/tokens', {
        body: { name: `tokenbank CLI on ${hostname()}`.slice(0, 100), ttl_days },
        token: session.token,
      });
      // The sign-in session was only the way to the token; end it rather than leave it valid for a week.
      await ctx.api.call('DELETE /v1/sessions/current', { token: session.token }).catch(() => undefined);
      const me = await ctx.api.call('GET /v1/me', { token: created.token });
      const account = save(ctx, { token: created.token, token_id: created.id, token_expires_at: created.expires_at, user: session.user }, me);
      report(ctx, me, created.expires_at, account);
    });
  examples(login, [
    'tokenbank login --email ada@example.com',
    'tokenbank login --email ada@example.com --password-stdin < ~/.tokenbank-password',
    'tokenbank login --token tbp_…          # store a token you already have',
    'tokenbank --server https://billing.example.com login',
  ]);
}

function registerLogout(program: Command, kit: Kit): void {
  const logout = program
    .command('logout')
    .description('Forget the stored token')
    .action(async (_options: unknown, command: Command) => {
      const ctx = kit.context(command);
      const stored = ctx.configForServer;
      if (!stored?.token) {
        ctx.out.line(`Not signed in to ${ctx.server}; nothing stored in ${ctx.config_path}.`);
      } else {
        // Revoke it on the server first, so a copy of the file is worth nothing; offline, say so.
        const revoked = stored.token_id
          ? await ctx.api.call('DELETE /v1/tokens/{id}', { params: { id: stored.token_id }, token: stored.token }).then(
              () => true,
              () => false,
            )
          : false;
        const { token: _t, token_id: _i, token_expires_at: _e, user: _u, ...rest } = stored;
        if (rest.account) writeConfig(ctx.config_path, rest);
        else deleteConfig(ctx.config_path);
        ctx.out.line(`Signed out of ${ctx.server}${stored.user ? ` (${stored.user.email})` : ''}: the token was removed from ${ctx.config_path}.`);
        if (revoked) ctx.out.line(`The token ${stored.token_id} was revoked on the server.`);
        else if (stored.token_expires_at)
          ctx.out.line(
            `The server could not be reached to revoke the token${stored.token_id ? ` ${stored.token_id}` : ''}; it stays valid until ${shortDate(stored.token_expires_at)}.`,
          );
      }
      if (ctx.streams.env.TOKENBANK_TOKEN) ctx.out.note('note: TOKENBANK_TOKEN is set in the environment and still signs you in; unset it too.');
    });
  examples(logout, ['tokenbank logout']);
}

function registerWhoami(program: Command, kit: Kit): void {
  const whoami = program
    .command('whoami')
    .description('Show who the token signs in as, and the active account')
    .option('--json', "print the API's /v1/me object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const me = await ctx.api.call('GET /v1/me');
      if (options.json) return ctx.out.json(me);
      const source = ctx.token_source === 'config' ? ctx.config_path : ctx.token_source;
      if (me.kind === 'user') ctx.out.line(`${ctx.out.style.bold(me.user!.email)} (${me.user!.id}) on ${ctx.server}`);
      else ctx.out.line(`${ctx.out.style.bold(`the ${me.kind} token`)} on ${ctx.server}`);
      ctx.out.line(
        `${ctx.out.style.dim('Token:')} from ${source}${ctx.configForServer?.token_expires_at && ctx.token_source === 'config' ? `, expires ${shortDate(ctx.configForServer.token_expires_at)}` : ''}`,
      );
      if (me.kind === 'operator') {
        ctx.out.line(`${ctx.out.style.dim('Account:')} every account (operator); choose one with --account`);
        return;
      }
      try {
        ctx.printAccount(await ctx.account());
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        ctx.out.line(`${ctx.out.style.dim('Account:')} none active (${error.message}) — run \`tokenbank accounts use <id|name>\``);
      }
      if (me.accounts.length > 1) ctx.out.line(`${ctx.out.style.dim('Member of:')} ${me.accounts.length} accounts (\`tokenbank accounts\`)`);
    });
  examples(whoami, ['tokenbank whoami', 'tokenbank whoami --json']);
}

/** `login --token X`: checks the token against the server, then stores it. */
async function storeGivenToken(ctx: Ctx, token: string): Promise<void> {
  const me = await ctx.api.call('GET /v1/me', { token });
  const account = save(ctx, { token, token_expires_at: null, ...(me.user ? { user: me.user } : {}) }, me);
  report(ctx, me, null, account);
}

/** Writes the config; keeps the active account when it is still one of the user's. Returns it. */
function save(ctx: Ctx, fields: Omit<StoredConfig, 'server'>, me: Me): string | undefined {
  const previous = ctx.configForServer?.account;
  const keep = previous && me.accounts.some((a) => a.id === previous) ? previous : undefined;
  const account = keep ?? me.accounts[0]?.id;
  writeConfig(ctx.config_path, { server: ctx.server, ...fields, ...(account ? { account } : {}) });
  return account;
}

function report(ctx: Ctx, me: Me, expires_at: string | null, account_id: string | undefined): void {
  const s = ctx.out.style;
  const who = me.kind === 'user' ? me.user!.email : `the ${me.kind} token`;
  ctx.out.line(`${s.green('✓')} Signed in to ${ctx.server} as ${s.bold(who)}.`);
  ctx.out.line(`  Token stored in ${ctx.config_path} (mode 0600)${expires_at ? `, valid until ${shortDate(expires_at)}` : ''}.`);
  const active = me.accounts.find((a) => a.id === account_id);
  if (active) ctx.out.line(`${s.dim('Account:')} ${s.bold(active.name)} (${active.id}) · ${active.plan ?? 'no'} plan · you are ${active.role ?? 'member'}`);
  else if (me.kind === 'operator') ctx.out.line(`${s.dim('Account:')} every account (operator); choose one with --account`);
  if (me.accounts.length > 1) ctx.out.line(`  You belong to ${me.accounts.length} accounts; switch with \`tokenbank accounts use <id|name>\`.`);
  if (ctx.streams.env.TOKENBANK_TOKEN) ctx.out.note('note: TOKENBANK_TOKEN is set in the environment and overrides the stored token.');
}
