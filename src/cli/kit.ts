// What command modules are given: a way to build the context of a running command, and the
// helpers every command shares (examples in --help, the confirm prompt).
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { Ctx, type GlobalOptions, type Hooks } from './context';
import { CliError, EXIT, usageError } from './errors';
import type { Streams } from './output';

export interface Kit {
  context(command: Command, options?: { spinner?: boolean }): Ctx;
  hooks: Hooks;
  streams: Streams;
  stdin: NodeJS.ReadStream;
}

export function makeKit(streams: Streams, stdin: NodeJS.ReadStream, hooks: Hooks): Kit {
  return {
    hooks,
    streams,
    stdin,
    context(command, options) {
      return new Ctx(streams, command.optsWithGlobals<GlobalOptions>(), hooks, options);
    },
  };
}

/** Adds an "Examples:" block to a command's --help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

const GROUPS = new WeakSet<Command>();

/**
 * Lets group commands see an unknown subcommand as an argument, to name it in the error. Called
 * once the tree is built: subcommands copy their parent's settings when they are added.
 */
export function finishGroups(command: Command): void {
  if (GROUPS.has(command)) command.allowExcessArguments(true);
  for (const sub of command.commands) finishGroups(sub);
}

/** A command that only groups subcommands: without one, or with an unknown one, a usage error (exit 2). */
export function group(parent: Command, name: string, description: string): Command {
  const command = parent.command(name).description(description);
  GROUPS.add(command);
  return command.action(() => {
    const path = parent.parent ? `${parent.name()} ${name}` : name;
    const names = command.commands.filter((c) => c.name() !== 'help').map((c) => c.name());
    const given = command.args[0];
    const what = given === undefined ? `\`${path}\` needs a subcommand` : `\`${path}\` has no subcommand "${given}"`;
    throw usageError(`${what}; its subcommands: ${names.join(', ')}.`, `Run \`tokenbank ${path} --help\` for usage and examples.`);
  });
}

/**
 * Asks "… [y/N]" on the terminal. Without a terminal there is nobody to ask: a usage error
 * telling the script to say --yes, so nothing that moves money happens unconfirmed.
 */
export async function confirm(kit: Kit, question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!kit.stdin.isTTY || !kit.streams.err.isTTY)
    throw usageError('This needs a confirmation and there is no terminal to ask.', 'Pass --yes to confirm from a script.');
  const rl = createInterface({ input: kit.stdin, output: kit.streams.err });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export async function prompt(kit: Kit, question: string): Promise<string> {
  const rl = createInterface({ input: kit.stdin, output: kit.streams.err });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a secret from the terminal without echoing it. */
export async function promptHidden(kit: Kit, question: string): Promise<string> {
  const stdin = kit.stdin;
  const err = kit.streams.err;
  err.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error: Error | null) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener('data', onData);
      err.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(new CliError('cancelled', 'Cancelled.', EXIT.failed));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Reads all of stdin (for --password-stdin), without the final newline. */
export async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
