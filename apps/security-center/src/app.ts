import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppModule } from './app.module';
import { BootstrapService } from './bootstrap.service';
import type { Config } from './config';
import { QueryValuePipe } from './common/query-value.pipe';
import { Metrics } from './health/metrics';

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

export function consoleDir(config: Config): string {
  return config.CONSOLE_DIR !== ''
    ? resolve(config.CONSOLE_DIR)
    : resolve(__dirname, '../../console/dist/browser');
}

/** Builds the application (not listening): used by main.ts and by the API specs. */
export async function createApp(
  config: Config,
  logger: LoggerService | false = new Logger(),
  options: { jobs?: boolean } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.enableShutdownHooks();
  app.useGlobalPipes(new QueryValuePipe());

  const metrics = app.get(Metrics);
  app.use((req: Request, res: Response, next: NextFunction) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // API answers may carry secrets (keys and tokens shown once): never stored by caches.
    // The snapshot route sets its own `no-cache` (it revalidates with its ETag).
    if (req.path.startsWith('/api/v1/')) res.setHeader('Cache-Control', 'no-store');
    const end = metrics.duration.startTimer();
    res.on('finish', () => {
      // Route templates only (a closed set), never raw paths.
      const route =
        (req.route as { path?: string } | undefined)?.path ??
        (req.path.startsWith('/api/') ? 'unmatched' : 'static');
      metrics.requests.inc({ route, method: req.method, status: String(res.statusCode) });
      end({ route });
    });
    next();
  });
  // A full heartbeat (1000 unknown objects × 100 device ids, 10000 rule hits) is several MB:
  // its route alone gets a larger limit; the parser below skips a body already parsed.
  app.use(
    '/api/v1/proxy/heartbeat',
    express.json({ limit: '16mb', strict: true, type: ['application/json'] }),
  );
  app.use(express.json({ limit: '1mb', strict: true, type: ['application/json'] }));
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));

  // OpenAPI: the UI at /api/docs, the document at /api/docs-json.
  SwaggerModule.setup('api/docs', app, () => openApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
  });

  // The console: static files, and index.html for client-side routes.
  const dir = consoleDir(config);
  app.use(express.static(dir, { index: false, maxAge: '1h', setHeaders: noCacheForIndex }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (
      req.method !== 'GET' ||
      req.path.startsWith('/api/') ||
      ['/healthz', '/readyz', '/metrics'].includes(req.path)
    )
      return next();
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The console is not built. Run `npm run build` (npm start does it for you).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });

  await app.init();
  await app.get(BootstrapService).run();
  return app;
}

/** The OpenAPI document of every route, built from the controllers and the contracts schemas. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('KSN security-center API')
    .setDescription(
      'Management API of the console and protocol of the proxies. Console routes take the session cookie (and X-CSRF-Token on writes) or an API token as a bearer; proxy routes take the proxy API key as a bearer. Errors are {error, message, field?}.',
    )
    .setVersion('1')
    .addCookieAuth('ksn_session')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'API token (kt_…) or proxy API key (kp_…)',
    })
    .build();
  return SwaggerModule.createDocument(app, config);
}

function noCacheForIndex(res: Response, path: string): void {
  if (path.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache');
}
