import { doctor } from './commands/doctor';
import { enroll } from './commands/enroll';
import { lookup } from './commands/lookup';
import { policy } from './commands/policy';
import { parseSettings, USAGE, type Settings } from './config';
import { CliError } from './errors';
import type { Io } from './io';

const COMMANDS: Record<string, (s: Settings, io: Io) => Promise<number>> = { enroll, lookup, policy, doctor };

/**
 * Runs one `ksn` command line and returns its exit code: 0 allowed/succeeded,
 * 1 something was blocked (lookup), 2 error (usage, network, HTTP, input).
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let json = argv.includes('--json');
  try {
    const s = parseSettings(argv, io);
    json = s.json;
    if (s.help || s.command === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (s.command === undefined)
      throw new CliError('usage', `a command is needed: ${Object.keys(COMMANDS).join(', ')} (ksn --help)`);
    const command = COMMANDS[s.command];
    if (!command)
      throw new CliError(
        'usage',
        `unknown command "${s.command}": use ${Object.keys(COMMANDS).join(', ')} (ksn --help)`,
      );
    return await command(s, io);
  } catch (e) {
    const err =
      e instanceof CliError ? e : new CliError('bad_response', e instanceof Error ? e.message : String(e));
    if (json)
      io.out(
        JSON.stringify({
          error: err.code,
          message: err.message,
          ...(err.detail?.status ? { status: err.detail.status } : {}),
        }),
      );
    else io.err(`ksn: ${err.message}`);
    return 2;
  }
}
