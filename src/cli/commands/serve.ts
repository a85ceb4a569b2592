// `serve`: the server, as `npm start` runs it (same environment variables). Wired by
// bin/tokenbank.mjs, which may import src/main.ts; the CLI modules never do.
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors';
import { integer } from '../input';
import { examples, type Kit } from '../kit';

export function register(program: Command, kit: Kit): void {
  const serve = program
    .command('serve')
    .description('Run the Tokenbank server, as `npm start` does (PORT, HOST, DATABASE_URL, TOKENBANK_DATA_DIR, …)')
    .option('--port <port>', 'port to listen on (default: PORT or 8080)')
    .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      const port = options.port === undefined ? undefined : integer('--port', options.port, 0, 65_535);
      if (!kit.hooks.serve)
        throw new CliError('unsupported', 'This build of the CLI cannot run the server.', EXIT.failed, 'Run `npm start` in a clone of Tokenbank.');
      try {
        await kit.hooks.serve({ ...(port !== undefined ? { port } : {}), ...(options.host ? { host: options.host } : {}) });
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE')
          throw new CliError(
            'address_in_use',
            `Something already listens on ${options.host ?? 'that address'}:${port ?? 'the port'}.`,
            EXIT.failed,
            'Stop it, or choose another port with --port.',
          );
        if (error instanceof CliError) throw error;
        throw new CliError('serve_failed', `The server did not start: ${e.message}`, EXIT.failed);
      }
    });
  examples(serve, ['tokenbank serve', 'tokenbank serve --port 9090', 'DATABASE_URL=postgres://localhost/tokenbank tokenbank serve']);
}
