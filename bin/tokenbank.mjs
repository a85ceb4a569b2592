#!/usr/bin/env node
// The `tokenbank` command. TypeScript runs through tsx (no build step). `serve` is wired here,
// because only this entry point may import the server (src/main.ts); the CLI talks to it over HTTP.
import { register } from 'tsx/esm/api';

register();

const { run } = await import('../src/cli/main.ts');

// `tokenbank usage | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const hooks = {
  async serve({ port, host } = {}) {
    const { start, configFromEnv } = await import('../src/main.ts');
    const config = { ...configFromEnv(), ...(port !== undefined ? { port } : {}), ...(host !== undefined ? { host } : {}) };
    const server = await start(config);
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => {
        server.shutdown().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  },
};

process.exitCode = await run(process.argv, { hooks });
