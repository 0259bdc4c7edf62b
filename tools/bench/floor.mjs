// The node:http floor for workload 1: a bare node:http server that answers every
// request with a fixed JSON verdict of the size ksn-proxy answers with, and does
// nothing else (no parsing of the path, no token, no cache, no metrics). Measured
// next to ksn-proxy, it shows how much of the gap to nginx is node:http itself on
// one core and how much is the proxy's own work.
//   node tools/bench/floor.mjs            (prints {"event":"ready","url":…})
// FLOOR_WORK_US=n adds n µs of busy CPU work before each answer: what node:http and the
// kernel cost per request when the server itself is slower (tools/bench/analysis.md).
// Answers are ended as ksn-proxy ends them: together at the end of each turn of the event
// loop (service-kit `endSoon`); FLOOR_END=now ends each at once, node:http's default.
import { createServer } from 'node:http';
import { endSoon } from '../../libs/service-kit/dist/index.js';

const body = JSON.stringify({
  key: `sha256:${'0123abcd'.repeat(8)}`,
  verdict: 'clean',
  decision: 'allow',
  source: 'cache',
  ttl: 86399,
  category: 'Golden Image/Operating Systems & Utilities/OS Components',
});
const endNow = process.env.FLOOR_END === 'now';
const workNs = BigInt(Math.round(Number(process.env.FLOOR_WORK_US ?? 0) * 1000));
const server = createServer({ keepAliveTimeout: 5_000 }, (_req, res) => {
  if (workNs > 0n) {
    const until = process.hrtime.bigint() + workNs;
    while (process.hrtime.bigint() < until);
  }
  res.writeHead(200, [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
  ]);
  if (endNow) res.end(body);
  else endSoon(res, body);
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
