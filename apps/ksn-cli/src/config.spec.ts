import { CliError } from './errors';
import { parseSettings } from './config';
import type { Io } from './io';

const io = (env: Record<string, string> = {}): Io => ({
  out: () => undefined,
  err: () => undefined,
  env,
  cwd: '/w',
  home: '/home/u',
  now: () => 0,
});

describe(parseSettings.name, () => {
  it('has the documented defaults', () => {
    const s = parseSettings(['lookup', 'x'], io());
    expect(s).toMatchObject({
      command: 'lookup',
      positionals: ['x'],
      proxyUrl: 'http://127.0.0.1:13111',
      tokenFile: '/home/u/.config/ksn/token.json',
      json: false,
      timeoutMs: 10_000,
    });
  });

  it('takes environment variables, and flags over them', () => {
    const env = {
      KSN_PROXY_URL: 'http://proxy.lan:13111/',
      KSN_TOKEN_FILE: '/etc/ksn/t.json',
      XDG_CONFIG_HOME: '/x',
    };
    expect(parseSettings(['policy'], io(env))).toMatchObject({
      proxyUrl: 'http://proxy.lan:13111',
      tokenFile: '/etc/ksn/t.json',
    });
    expect(parseSettings(['policy', '--proxy', 'https://p:1'], io(env)).proxyUrl).toBe('https://p:1');
    expect(parseSettings(['policy'], io({ XDG_CONFIG_HOME: '/x' })).tokenFile).toBe('/x/ksn/token.json');
  });

  it.each([
    [['lookup', '--proxy', 'ftp://x'], /--proxy must be an http\(s\) URL/],
    [['lookup', '--batch-size', '0'], /--batch-size must be an integer from 1 to 1000/],
    [['lookup', '--nope'], /Unknown option '--nope'/],
  ])('rejects %j as a usage error', (argv, message) => {
    expect(() => parseSettings(argv, io())).toThrow(CliError);
    expect(() => parseSettings(argv, io())).toThrow(message);
  });
});
