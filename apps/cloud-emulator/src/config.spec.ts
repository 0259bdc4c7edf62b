import { ConfigError } from '@ksn/service-kit';
import { loadConfig, optionsFromConfig } from './config';

describe(loadConfig.name, () => {
  it('has defaults for everything', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 13180,
      HOST: '127.0.0.1',
      EMULATOR_SEED: 'ksn-emulator',
      EMULATOR_API_KEY: '',
      EMULATOR_ERROR_RATE: 0,
      EMULATOR_ERROR_STATUSES: [500, 503],
      EMULATOR_OUTAGE: 'off',
      EMULATOR_URGENT_SHARE: 0.1,
      EMULATOR_URGENT_DELAY_MS: 30_000,
    });
  });

  it('maps variables to options', () => {
    const o = optionsFromConfig(
      loadConfig({
        PORT: '0',
        EMULATOR_ERROR_RATE: '0.25',
        EMULATOR_ERROR_STATUSES: '502, 504',
        EMULATOR_OUTAGE: 'hang',
        EMULATOR_RATE_LIMIT_RPS: '2.5',
        EMULATOR_URGENT_VERDICT: 'adware',
      }),
    );
    expect(o).toMatchObject({
      port: 0,
      faults: { errorRate: 0.25, errorStatuses: [502, 504], outage: 'hang', rateLimitPerSecond: 2.5 },
      urgent: { verdict: 'adware' },
    });
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'x',
        EMULATOR_ERROR_RATE: '1.5',
        EMULATOR_ERROR_STATUSES: '500,418',
        EMULATOR_OUTAGE: 'maybe',
        EMULATOR_URGENT_SHARE: '-1',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'EMULATOR_ERROR_RATE',
      'EMULATOR_ERROR_STATUSES',
      'EMULATOR_OUTAGE',
      'EMULATOR_URGENT_SHARE',
    ])
      expect(text).toContain(`${name}:`);
  });
});
