// What every command starts from: the global options resolved against the environment and
// the stored config, an API client, and the account the command speaks about.
//   server  --server > TOKENBANK_URL > the stored config's server > http://localhost:8080
//   token   --token > TOKENBANK_TOKEN > the stored token (only when it belongs to that server)
//   account --account > TOKENBANK_ACCOUNT > the stored active account > your only account
import type { AccountSummary } from '../contract/views';
import { Api } from './client';
import { configPath, configTooOpen, readConfig, type StoredConfig } from './config';
import { CliError, EXIT, usageError } from './errors';
import { Output, type Streams } from './output';

export const DEFAULT_SERVER = 'http://localhost:8080';

export interface GlobalOptions {
  server?: string;
  account?: string;
  token?: string;
}

export type TokenSource = '--token' | 'TOKENBANK_TOKEN' | 'config' | null;

export interface AccountRef {
  id: string;
  name: string;
  plan: string | null;
  role: string | null;
}

/** Account summary as GET /v1/me and GET /v1/accounts return it. */
/** An account as GET /v1/accounts and GET /v1/me list it (the contract's type). */
export type ApiAccountSummary = AccountSummary;

export interface Hooks {
  /** Starts the server (`tokenbank serve`); wired by bin/, which may import src/main.ts. */
  serve?: (options: { port?: number; host?: string }) => Promise<void>;
}

export class Ctx {
  readonly out: Output;
  readonly config_path: string;
  readonly config: StoredConfig | null;
  readonly server: string;
  readonly token: string | null;
  readonly token_source: TokenSource;
  readonly api: Api;

  constructor(
    readonly streams: Streams,
    readonly globals: GlobalOptions,
    readonly hooks: Hooks,
    options: { spinner?: boolean } = {},
  ) {
    const env = streams.env;
    this.out = new Output(streams);
    this.config_path = configPath(env);
    this.config = readConfig(this.config_path);
    this.server = normaliseServer(globals.server ?? env.TOKENBANK_URL ?? this.config?.server ?? DEFAULT_SERVER);
    const stored = this.config && this.config.token && normaliseServer(this.config.server) === this.server ? this.config.token : null;
    if (globals.token) [this.token, this.token_source] = [globals.token, '--token'];
    else if (env.TOKENBANK_TOKEN) [this.token, this.token_source] = [env.TOKENBANK_TOKEN, 'TOKENBANK_TOKEN'];
    else if (stored) [this.token, this.token_source] = [stored, 'config'];
    else [this.token, this.token_source] = [null, null];
    if (this.token_source === 'config' && configTooOpen(this.config_path)) {
      this.out.note(`warning: ${this.config_path} can be read by other users; run: chmod 600 ${this.config_path}`);
    }
    this.api = new Api(this.server, this.token, this.out, options.spinner ?? true);
  }

  /** The stored config when it belongs to this server. */
  get configForServer(): StoredConfig | null {
    return this.config && normaliseServer(this.config.server) === this.server ? this.config : null;
  }

  /** The account asked for, as typed (id or name), or null when none was chosen. */
  get accountChoice(): { value: string; from: string } | null {
    if (this.globals.account) return { value: this.globals.account, from: '--account' };
    if (this.streams.env.TOKENBANK_ACCOUNT) return { value: this.streams.env.TOKENBANK_ACCOUNT, from: 'TOKENBANK_ACCOUNT' };
    const stored = this.configForServer?.account;
    return stored ? { value: stored, from: 'config' } : null;
  }

  /** Accounts the caller may see: their memberships (a user) or a search of all (the operator). */
  async listAccounts(search?: string): Promise<ApiAccountSummary[]> {
    const body = await this.api.call('GET /v1/accounts', { query: { search } });
    return body.data;
  }

  /** The account this command speaks about; refuses (exit 2) when it cannot tell which. */
  async account(): Promise<AccountRef> {
    const choice = this.accountChoice;
    const me = await this.api.call('GET /v1/me');
    if (me.kind === 'operator') {
      if (!choice) throw usageError('The operator token speaks for every account: name one with --account <id|name>.');
      return this.operatorAccount(choice.value);
    }
    if (me.kind !== 'user')
      throw new CliError('forbidden', `A ${me.kind} token cannot read accounts.`, EXIT.failed, 'Sign in as a user with `tokenbank login`.');
    if (!choice) {
      if (me.accounts.length === 1) return toRef(me.accounts[0]!);
      if (me.accounts.length === 0) throw new CliError('not_found', 'You do not belong to any account yet.', EXIT.failed, 'Ask an account owner to add you.');
      throw usageError(`You belong to ${me.accounts.length} accounts; choose one.`, 'Run `tokenbank accounts use <id|name>` or pass --account.');
    }
    const found = matchAccount(me.accounts, choice.value);
    if (!found) {
      const names = me.accounts.map((a) => `${a.name} (${a.id})`).join(', ') || 'none';
      throw new CliError(
        'not_found',
        `You do not belong to an account "${choice.value}" (from ${choice.from}). Your accounts: ${names}.`,
        EXIT.failed,
        'Run `tokenbank accounts` to list them.',
      );
    }
    return found;
  }

  private async operatorAccount(value: string): Promise<AccountRef> {
    const candidates = await this.listAccounts(value);
    const found = matchAccount(candidates, value);
    if (!found) throw new CliError('not_found', `No account "${value}".`, EXIT.failed, 'Search with `tokenbank admin accounts --search <text>`.');
    return { ...found, role: 'operator' };
  }

  /** The line every account command starts with, so the output always says whose money it is. */
  printAccount(account: AccountRef): void {
    const s = this.out.style;
    const parts = [
      `${s.bold(account.name)} (${account.id})`,
      account.plan ? `${account.plan} plan` : 'no plan',
      account.role ? `you are ${account.role}` : null,
    ].filter(Boolean);
    this.out.line(`${s.dim('Account:')} ${parts.join(' · ')}`);
  }
}

function toRef(a: ApiAccountSummary): AccountRef {
  return { id: a.id, name: a.name, plan: a.plan, role: a.role ?? null };
}

/** By exact id, else by name (case-insensitive); two accounts with that name is an error. */
export function matchAccount(accounts: ApiAccountSummary[], value: string): AccountRef | null {
  const by_id = accounts.find((a) => a.id === value);
  if (by_id) return toRef(by_id);
  const by_name = accounts.filter((a) => a.name.toLowerCase() === value.toLowerCase());
  if (by_name.length > 1) throw usageError(`Several accounts are named "${value}": ${by_name.map((a) => a.id).join(', ')}.`, 'Use the account id instead.');
  return by_name[0] ? toRef(by_name[0]) : null;
}

export function normaliseServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--server: "${text}" is not a URL (example: http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--server: "${text}" must be an http:// or https:// URL`);
  return url.origin;
}
