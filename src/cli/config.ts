// The CLI's stored sign-in: `$XDG_CONFIG_HOME/tokenbank/config.json` (else
// `~/.config/tokenbank/config.json`). It holds a bearer secret, so the directory is 0700 and the
// file 0600, written to a temporary file first and renamed, so a crash never leaves half a file.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors';

export interface StoredConfig {
  /** The server the token belongs to; the token is never sent anywhere else. */
  server: string;
  token?: string;
  token_id?: string;
  token_expires_at?: string | null;
  /** The active account's id (`tokenbank accounts use`). */
  account?: string;
  user?: { id: string; email: string };
}

export const config_modes = { dir: 0o700, file: 0o600 } as const;

export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'tokenbank', 'config.json');
}

export function readConfig(path: string): StoredConfig | null {
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(
      'config_unreadable',
      `${path} is not valid JSON (${(error as Error).message}).`,
      1,
      `Fix or delete it, then run \`tokenbank login\` again.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as StoredConfig).server !== 'string') {
    throw new CliError('config_unreadable', `${path} does not look like a Tokenbank CLI config.`, 1, 'Delete it and run `tokenbank login` again.');
  }
  return parsed as StoredConfig;
}

/** True when the file can be read by group or others (it should not: it holds a token). */
export function configTooOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

export function writeConfig(path: string, config: StoredConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: config_modes.dir });
  chmodSync(dir, config_modes.dir); // mkdir leaves an existing directory's mode alone
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(config, null, 2) + '\n', { mode: config_modes.file });
  chmodSync(temporary, config_modes.file); // the umask may have narrowed it; never widened
  renameSync(temporary, path);
}

export function deleteConfig(path: string): void {
  rmSync(path, { force: true });
}
