// The `tokenbank` command line: builds the command tree, runs it, and turns every outcome into
// an exit code — 0 ok, 1 refused or failed, 2 usage error (commander's own included).
//
// The tree is a list of modules, each registering its commands on the program. Commands that
// come with later features (grants, refunds, notifications, keys) are new modules in this list,
// and operator ones register under `admin` (commands/admin.ts), without reshaping the rest.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT, type ExitCode } from './errors';
import { finishGroups, makeKit, type Kit } from './kit';
import type { Hooks } from './context';
import { makeStyle, colourAllowed, type Streams } from './output';
import * as session from './commands/session';
import * as accounts from './commands/accounts';
import * as members from './commands/members';
import * as balance from './commands/balance';
import * as usage from './commands/usage';
import * as credits from './commands/credits';
import * as settings from './commands/settings';
import * as cards from './commands/cards';
import * as history from './commands/history';
import * as completion from './commands/completion';
import * as admin from './commands/admin';
import * as audit from './commands/audit';
import * as serve from './commands/serve';
import * as refunds from './commands/refunds';
import * as webhooks from './commands/webhooks';
import * as orgs from './commands/orgs';

interface CommandModule {
  register(program: Command, kit: Kit): void;
}

/** In help order, grouped. A new feature adds its module to one of these groups. */
const COMMAND_GROUPS: Array<{ heading: string; modules: CommandModule[] }> = [
  { heading: 'Sign-in and accounts:', modules: [session, accounts, members] },
  { heading: 'Your money:', modules: [balance, usage, history, credits, cards, settings, refunds] },
  { heading: 'Notifications:', modules: [webhooks] },
  { heading: 'API organizations:', modules: [orgs] },
  { heading: 'Operator:', modules: [admin, audit, serve] },
  { heading: 'Shell:', modules: [completion] },
];

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(kit: Kit): Command {
  const program = new Command('tokenbank');
  const err = kit.streams.err;
  program
    .description('Tokenbank from the terminal: balance, usage, credits, limits and auto-reload of your accounts.')
    .version(version(), '-V, --version')
    .option('--server <url>', 'Tokenbank server (env TOKENBANK_URL; default http://localhost:8080)')
    .option('--account <id|name>', 'the account to speak about (env TOKENBANK_ACCOUNT; default: the active one)')
    .option('--token <token>', 'bearer token to use instead of the stored one (env TOKENBANK_TOKEN)')
    // Usage errors become exit 2 in run(); nothing calls process.exit from inside commander.
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({
      writeOut: (text) => kit.streams.out.write(text),
      writeErr: (text) => err.write(text),
      outputError: (text, write) => write(formatCommanderError(text, makeStyle(colourAllowed(err, kit.streams.env)).red)),
    });
  program.addHelpText(
    'after',
    `
Examples:
  $ tokenbank login --email ada@example.com
  $ tokenbank balance
  $ tokenbank usage --days 7 --by app
  $ tokenbank cards add tok_visa && tokenbank extra-usage on
  $ tokenbank credits add 20
  $ tokenbank requests                      # who paid for each request, and why
  $ tokenbank balance --statusline          # for a shell prompt or an editor status bar

Exit codes: 0 ok, 1 refused or failed, 2 usage error. Colour only on a terminal, never with NO_COLOR.
Config: $XDG_CONFIG_HOME/tokenbank/config.json (else ~/.config/tokenbank/config.json), mode 0600.
`,
  );
  for (const { heading, modules } of COMMAND_GROUPS) {
    program.commandsGroup(heading);
    for (const module of modules) module.register(program, kit);
  }
  finishGroups(program);
  return program;
}

/** "error: unknown option '--x'" → "error: usage: unknown option '--x'" */
function formatCommanderError(text: string, red: (s: string) => string): string {
  const message = text.replace(/^error:\s*/i, '').trimEnd();
  return `${red('error')}: usage: ${message}\n`;
}

/** Runs the CLI and returns the exit code; `serve` keeps running after it returns. */
export async function run(argv: string[], options: { hooks?: Hooks; streams?: Streams; stdin?: NodeJS.ReadStream } = {}): Promise<ExitCode> {
  const streams: Streams = options.streams ?? { out: process.stdout, err: process.stderr, env: process.env };
  const kit = makeKit(streams, options.stdin ?? process.stdin, options.hooks ?? {});
  const program = buildProgram(kit);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    return report(error, streams);
  }
}

function report(error: unknown, streams: Streams): ExitCode {
  const style = makeStyle(colourAllowed(streams.err, streams.env));
  if (error instanceof CommanderError) {
    // --help, `help <command>` and --version end with a CommanderError too, successfully; help
    // shown because a subcommand is missing (`tokenbank credits`) is a usage error.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    streams.err.write(`${style.red('error')}: ${error.type}: ${error.message}\n`);
    if (error.hint) streams.err.write(`${style.dim('hint')}: ${error.hint}\n`);
    return error.exit_code;
  }
  // A bug, not an expected failure: say so, with the stack only when asked for.
  const e = error as Error;
  streams.err.write(`${style.red('error')}: internal: ${e?.message ?? String(error)}\n`);
  if (streams.env.TOKENBANK_DEBUG) streams.err.write(`${e?.stack ?? ''}\n`);
  else streams.err.write(`${style.dim('hint')}: this is a bug in the CLI; run again with TOKENBANK_DEBUG=1 for details.\n`);
  return EXIT.failed;
}
