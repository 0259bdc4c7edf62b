import { int, parseEnv, port, str, type EnvOf } from '@ksn/service-kit';

export const CONFIG_SPEC = {
  PORT: port({ description: 'Cloud emulator port', default: 13180 }),
  HOST: str({ description: 'Cloud emulator address', default: '127.0.0.1' }),
  EMULATOR_SEED: str({ description: 'Seed of the synthetic verdict corpus', default: 'ksn-emulator' }),
  EMULATOR_API_KEY: str({ description: 'If set, callers must present it as a Bearer token', default: '', secret: true }),
  EMULATOR_LATENCY_MS: int({ description: 'Latency added to every /v1 answer', default: 0, min: 0, max: 60000 }),
};

export type Config = EnvOf<typeof CONFIG_SPEC>;
export const loadConfig = (env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config => parseEnv(CONFIG_SPEC, env);
