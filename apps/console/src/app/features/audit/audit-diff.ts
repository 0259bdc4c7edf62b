/** Before/after of an audit entry as a list of changed settings, for the diff view. */
export interface DiffRow {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly change: 'added' | 'removed' | 'changed';
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) out.set(prefix, '{}');
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    // A list of plain values (e.g. locked sections) reads best as one line; objects get an index each.
    if (value.every((v) => v === null || typeof v !== 'object'))
      out.set(prefix, value.length ? value.map(String).join(', ') : '(none)');
    else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value !== undefined) {
    out.set(prefix || '(value)', typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** Every leaf that differs between `before` and `after` (null/undefined sides mean created or deleted). */
export function auditDiff(before: unknown, after: unknown): DiffRow[] {
  const b = flatten(before ?? undefined, '', new Map());
  const a = flatten(after ?? undefined, '', new Map());
  const rows: DiffRow[] = [];
  for (const path of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const [bv, av] = [b.get(path) ?? null, a.get(path) ?? null];
    if (bv === av) continue;
    rows.push({
      path,
      before: bv,
      after: av,
      change: bv === null ? 'added' : av === null ? 'removed' : 'changed',
    });
  }
  return rows;
}
