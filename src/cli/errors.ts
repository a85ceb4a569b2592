// Expected failures of the CLI, as values with an exit code. They print as one line,
// `error: <type>: <message>`, plus an optional hint; never a stack trace.
//   exit 1 — refused or failed (the server said no, the network failed, the audit found problems)
//   exit 2 — usage error (the command line itself is wrong: unknown option, bad dollar amount)

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly type: string,
    message: string,
    readonly exit_code: ExitCode = EXIT.failed,
    /** What to do about it, in CLI terms (printed as `hint: …`). */
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

/** The command line is wrong: exit 2. */
export function usageError(message: string, hint: string | null = null): CliError {
  return new CliError('usage', message, EXIT.usage, hint);
}

/** A refusal or failure reported by the server: the API's `type`, `message` and figures. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    type: string,
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown>,
    hint: string | null = null,
  ) {
    super(type, message, EXIT.failed, hint);
  }
}
