import type { INestApplication } from '@nestjs/common';
import { zeroCounters, type GroupView, type HeartbeatCounters } from '@ksn/contracts';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';

export const TEST_PROXY_KEY = 'kp_test-proxy-key-0123456789abcdef';
export const TEST_ENROLMENT_TOKEN = 'ke_test-enrolment-token-0123456789';
export const ADMIN_PASSWORD = 'correct horse battery staple';

/** A security-center on the given database with known bootstrap secrets (not listening; use supertest). */
export async function startTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { jobs?: boolean } = {},
): Promise<INestApplication> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_PASSWORD,
    BOOTSTRAP_PROXY_API_KEY: TEST_PROXY_KEY,
    BOOTSTRAP_ENROLMENT_TOKEN: TEST_ENROLMENT_TOKEN,
    CONSOLE_DIR: '/nonexistent',
    // Nothing listens on the discard port: upstream calls fail fast unless a spec sets its own.
    KSN_UPSTREAM_URL: 'http://127.0.0.1:9',
    ...env,
  });
  return createApp(config, false, options);
}

/**
 * Logs in and returns an agent that sends the session cookie, its CSRF token, `write` (a
 * request that carries the CSRF header) and `group` (creates a group, expecting 201).
 */
export async function loginAs(app: INestApplication, username = 'admin', password = ADMIN_PASSWORD) {
  const agent = request.agent(app.getHttpServer());
  const res = await agent.post('/api/v1/auth/login').send({ username, password }).expect(200);
  const csrf = (res.body as { csrfToken: string }).csrfToken;
  const write = (method: 'post' | 'put' | 'patch' | 'delete', path: string) =>
    agent[method](path).set('X-CSRF-Token', csrf);
  const group = async (name: string, parentId: string) =>
    (await write('post', '/api/v1/groups').send({ name, parentId }).expect(201)).body as GroupView;
  return { agent, csrf, write, group };
}

/** A proxy heartbeat body: every counter zero unless given, and the fields a proxy always sends. */
export function heartbeatBody(
  counters: Partial<Record<keyof HeartbeatCounters, number>> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    instanceId: 'proxy-a',
    version: '0.1.0',
    snapshotVersion: 2,
    cacheEntries: 10,
    counters: { ...zeroCounters(), ...counters },
    ...extra,
  };
}
