import type { Verdict } from '@ksn/contracts';

/**
 * What the cloud knows about one object. Every field is always present
 * (undefined when unknown) so that all reputations share one object shape;
 * instances are shared and frozen, never mutated.
 */
export interface Reputation {
  readonly verdict: Verdict;
  readonly category: string | undefined;
  readonly vendor: string | undefined;
  readonly product: string | undefined;
  /** Thumbprint of the signing certificate, when signed. */
  readonly certificate: string | undefined;
}

export function reputation(verdict: Verdict, fields: Partial<Omit<Reputation, 'verdict'>> = {}): Reputation {
  return Object.freeze({
    verdict,
    category: fields.category,
    vendor: fields.vendor,
    product: fields.product,
    certificate: fields.certificate,
  });
}
