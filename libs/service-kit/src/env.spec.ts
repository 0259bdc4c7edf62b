import { bool, ConfigError, httpUrl, int, oneOf, parseEnv, port, str } from './env';
import { createLogger } from './log';

const spec = {
  PORT: port({ description: 'port', default: 8080 }),
  UPSTREAM: httpUrl({ description: 'upstream' }),
  MODE: oneOf(['a', 'b'] as const, { description: 'mode', default: 'a' }),
  TLS: bool({ description: 'tls', default: false }),
  KEY: str({ description: 'key', default: '', secret: true, pattern: /^k/ }),
  SIZE: int({ description: 'size', default: 10, min: 1 }),
};

describe(parseEnv.name, () => {
  it('applies defaults and parses values', () => {
    expect(parseEnv(spec, { UPSTREAM: 'http://x:1/', TLS: 'yes' })).toEqual({
      PORT: 8080,
      UPSTREAM: 'http://x:1',
      MODE: 'a',
      TLS: true,
      KEY: '',
      SIZE: 10,
    });
  });

  it('names every bad variable and hides secrets', () => {
    let err: ConfigError | undefined;
    try {
      parseEnv(spec, {
        PORT: '99999',
        MODE: 'c',
        TLS: 'maybe',
        KEY: 'secret-value',
        SIZE: '0',
        UPSTREAM: 'http://u:p@x/',
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.problems.join('\n');
    for (const name of ['PORT', 'MODE', 'TLS', 'KEY', 'SIZE', 'UPSTREAM']) expect(text).toContain(`${name}:`);
    expect(text).not.toContain('secret-value');
    expect(text).toContain('must not contain credentials');
  });

  it('reports a missing required variable', () => {
    expect(() => parseEnv(spec, {})).toThrow(/UPSTREAM: is required/);
  });
});

describe(createLogger.name, () => {
  it('redacts secret-looking fields', () => {
    const lines: string[] = [];
    createLogger('t', { write: (l) => lines.push(l) }).info('hello', {
      password: 'p',
      apiKey: 'k',
      user: 'u',
    });
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      service: 't',
      msg: 'hello',
      password: '[redacted]',
      apiKey: '[redacted]',
      user: 'u',
    });
  });
});
