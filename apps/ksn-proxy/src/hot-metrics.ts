import type { Registry } from 'prom-client';

/**
 * Counters and a histogram for the proxy's hot path. prom-client validates and
 * hashes the label set on every `inc`/`observe` (its children too), which cost
 * as much as the cache lookup itself; here a child is resolved once per label
 * set and an update is an addition to a number. The registry reads the values
 * at scrape time through `get()`, the same interface its own metrics implement,
 * so the exposition (names, help, types, label order) is unchanged.
 */

type Labels = Record<string, string>;

interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: { labels: Labels; value: number; metricName?: string }[];
  aggregator: 'sum';
}

interface Node<Child> {
  next: Map<string, Node<Child>> | undefined;
  entry: { labels: Labels; child: Child } | undefined;
}

abstract class HotMetric<Child> {
  // Label values → child, one Map level per label: finding a child allocates nothing.
  private readonly root: Node<Child> = { next: undefined, entry: undefined };
  /** Every label set seen, in order of first use (the exposition order, as prom-client's). */
  protected readonly children: { labels: Labels; child: Child }[] = [];
  abstract readonly type: 'counter' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    if (labelNames.length > 3) throw new Error(`${name}: hot-path metrics take at most three labels`);
    registry.registerMetric(this as never);
  }

  /** The child for one label set (values in `labelNames` order, up to three), created on first use. */
  child(a?: string, b?: string, c?: string): Child {
    let node = this.root;
    const n = this.labelNames.length;
    if (n > 0) node = step(node, a ?? '');
    if (n > 1) node = step(node, b ?? '');
    if (n > 2) node = step(node, c ?? '');
    if (node.entry === undefined) {
      const values = [a, b, c];
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      node.entry = { labels, child: this.create() };
      this.children.push(node.entry);
    }
    return node.entry.child;
  }

  protected abstract create(): Child;
  protected abstract values(): Exported['values'];

  get(): Promise<Exported> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values(),
      aggregator: 'sum',
    });
  }

  reset(): void {
    this.root.next = undefined;
    this.root.entry = undefined;
    this.children.length = 0;
  }
}

function step<Child>(node: Node<Child>, value: string): Node<Child> {
  node.next ??= new Map();
  let next = node.next.get(value);
  if (next === undefined) {
    next = { next: undefined, entry: undefined };
    node.next.set(value, next);
  }
  return next;
}

export class HotCounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class HotCounter extends HotMetric<HotCounterChild> {
  readonly type = 'counter';

  protected create(): HotCounterChild {
    return new HotCounterChild();
  }

  protected values(): Exported['values'] {
    return this.children.map(({ labels, child }) => ({ labels, value: child.value }));
  }
}

export class HotHistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class HotHistogram extends HotMetric<HotHistogramChild> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected create(): HotHistogramChild {
    return new HotHistogramChild(this.buckets);
  }

  protected values(): Exported['values'] {
    const out: Exported['values'] = [];
    for (const { labels, child } of this.children) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += child.counts[i]!;
        out.push({
          labels: { le: String(le), ...labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      out.push({ labels: { le: '+Inf', ...labels }, value: child.count, metricName: `${this.name}_bucket` });
      out.push({ labels, value: child.sum, metricName: `${this.name}_sum` });
      out.push({ labels, value: child.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
