/** Why the CLI gives up; every one maps to exit code 2 (1 is reserved for "blocked"). */
export type CliErrorCode =
  'usage' | 'not_enrolled' | 'token_file' | 'input' | 'unreachable' | 'timeout' | 'http' | 'bad_response';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** For `http`: the status and the server's error code, when it sent one. */
    readonly detail?: { status?: number; error?: string },
  ) {
    super(message);
  }
}
