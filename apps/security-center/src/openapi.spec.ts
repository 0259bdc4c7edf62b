import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startTestApp } from '../test/app';
import { discoverRoutes } from '../test/routes';

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { summary?: string; requestBody?: unknown; responses: Record<string, { content?: unknown }> }
    >
  >;
}

describe('OpenAPI document', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startTestApp('sqlite::memory:', {}, { jobs: false });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('documents every route the router serves, each with a summary and its schemas', async () => {
    const doc = (await request(app.getHttpServer()).get('/api/docs-json').expect(200)).body as OpenApiDoc;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = discoverRoutes(app);
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      expect([r.method, r.path, op === undefined ? 'missing' : 'documented']).toEqual([
        r.method,
        r.path,
        'documented',
      ]);
      expect([r.path, op!.summary]).toEqual([r.path, expect.any(String)]);
    }
    const put = doc.paths['/api/v1/groups/{id}/policy']!['put']!;
    expect(JSON.stringify(put.requestBody)).toContain('"version"');
    expect(JSON.stringify(doc.paths['/api/v1/groups']!['get']!.responses['200']!.content)).toContain(
      'deviceCount',
    );
  });

  it('serves the interactive UI at /api/docs', async () => {
    const res = await request(app.getHttpServer()).get('/api/docs').redirects(1).expect(200);
    expect(res.text).toMatch(/swagger/i);
  });
});
