/** The hot-path metrics expose exactly what prom-client's own Counter and Histogram would for the same updates. */
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('hot-path metrics', () => {
  it('render the same exposition as prom-client for the same counter and histogram updates', async () => {
    const hot = new Registry();
    const reference = new Registry();
    const hc = new HotCounter('t_requests_total', 'Requests', ['route', 'status'], hot);
    const hh = new HotHistogram('t_duration_seconds', 'Duration', ['route'], BUCKETS, hot);
    const hn = new HotCounter('t_bytes_total', 'Bytes', [], hot).child();
    const rc = new Counter({
      name: 't_requests_total',
      help: 'Requests',
      labelNames: ['route', 'status'],
      registers: [reference],
    });
    const rh = new Histogram({
      name: 't_duration_seconds',
      help: 'Duration',
      labelNames: ['route'],
      buckets: BUCKETS,
      registers: [reference],
    });
    const rn = new Counter({ name: 't_bytes_total', help: 'Bytes', registers: [reference] });
    const updates: [string, string, number][] = [
      ['file', '200', 0.0004],
      ['file', '200', 0.02],
      ['lookup', '200', 0.5],
      ['lookup', '400', 3],
      ['file', '404', 0.001],
    ];
    for (const [route, status, seconds] of updates) {
      hc.child(route, status).inc();
      rc.inc({ route, status });
      hh.child(route).observe(seconds);
      rh.observe({ route }, seconds);
    }
    hn.inc(120);
    rn.inc(120);
    hc.child('file', '200').inc(3);
    rc.inc({ route: 'file', status: '200' }, 3);
    expect(await hot.metrics()).toBe(await reference.metrics());
    expect(await hot.metrics()).toContain('t_duration_seconds_bucket{le="+Inf",route="lookup"} 2');
  });

  it('export an unlabelled counter at 0 before its first increment, like prom-client', async () => {
    const hot = new Registry();
    new HotCounter('t_saved_total', 'Saved', [], hot).child();
    expect(await hot.metrics()).toBe(
      '# HELP t_saved_total Saved\n# TYPE t_saved_total counter\nt_saved_total 0\n',
    );
  });
});
