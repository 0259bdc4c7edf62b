import { VERDICTS, type Verdict } from '@ksn/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { GenerationalMap } from './bounded';
import { categoryTree } from './corpus/categories';
import { Corpus } from './corpus/corpus';
import { Faults, type FaultSettings } from './faults';
import { ChangeFeed } from './feed';
import { EmulatorMetrics, FAULT_KINDS, type FaultKind } from './metrics';
import { ROUTES, type RouteName } from './routes/table';
import { TelemetrySink } from './telemetry';
import { UrgentDetector, type UrgentOptions } from './urgent';
import { VerdictBook } from './verdicts';

/** Cache lifetimes the emulator suggests in lookup answers (`ttl`, seconds). */
export const DEFAULT_TTL_SECONDS: Readonly<Record<Verdict, number>> = {
  clean: 86_400,
  malicious: 86_400,
  suspicious: 3_600,
  adware: 3_600,
  unknown: 300,
};

/** Everything configurable, resolved (see EmulatorOptions in server.ts for the meaning of each). */
export interface EmulatorSettings {
  seed: string;
  apiKey: string;
  faults: FaultSettings;
  urgent: Omit<UrgentOptions, 'maxTracked'>;
  ttlSeconds: Record<Verdict, number>;
  telemetryKeep: number;
  telemetryMaxBytes: number;
  maxTrackedKeys: number;
  defaultMetrics: boolean;
}

export interface AdminStats {
  startedAt: string;
  requests: Record<RouteName, number>;
  /** Looked-up keys by the verdict answered. */
  lookups: Record<Verdict, number>;
  /** Keys in lookups, repeats included. */
  keysAsked: number;
  /** Distinct keys remembered for /admin/asked (bounded by maxTrackedKeys). */
  distinctKeys: number;
  telemetryAccepted: number;
  telemetryRequests: number;
  telemetryDuplicates: number;
  changes: number;
  cursor: string;
  changeFeedWaiting: number;
  urgentPending: number;
  urgentDetections: number;
  faultsInjected: Record<FaultKind, number>;
}

const zeros = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** The emulator's state and parts, shared by the route handlers. */
export class EmulatorState {
  readonly corpus: Corpus;
  readonly feed = new ChangeFeed();
  readonly book: VerdictBook;
  readonly urgent: UrgentDetector;
  readonly telemetry: TelemetrySink;
  readonly faults: Faults;
  readonly metrics: EmulatorMetrics;
  /** `GET /v1/categories`, serialised once. */
  readonly categoriesJson = JSON.stringify({ categories: categoryTree() });
  private readonly asked: GenerationalMap<number>;
  private startedAt = new Date();
  private requests = zeros(ROUTES);
  private lookups = zeros(VERDICTS);
  private keysAsked = 0;
  private faultsInjected = zeros(FAULT_KINDS);

  constructor(readonly settings: EmulatorSettings) {
    this.corpus = new Corpus(settings.seed);
    this.book = new VerdictBook(this.corpus, this.feed, (reason) =>
      this.metrics.verdictChanges.inc({ reason }),
    );
    this.urgent = new UrgentDetector(
      { ...settings.urgent, maxTracked: settings.maxTrackedKeys },
      this.corpus,
      this.book,
    );
    this.telemetry = new TelemetrySink(settings.telemetryKeep, settings.maxTrackedKeys, (h) =>
      this.redact(h),
    );
    this.faults = new Faults(settings.faults);
    this.asked = new GenerationalMap(settings.maxTrackedKeys);
    this.metrics = new EmulatorMetrics(
      { waiting: () => this.feed.waiting, pendingDetections: () => this.urgent.pending },
      settings.defaultMetrics,
    );
  }

  countRequest(route: RouteName): void {
    this.requests[route]++;
  }

  countFault(kind: FaultKind): void {
    this.faultsInjected[kind]++;
    this.metrics.faults.inc({ kind });
  }

  countAsked(key: string): void {
    this.asked.set(key, (this.asked.get(key) ?? 0) + 1);
    this.keysAsked++;
  }

  countLookups(byVerdict: Readonly<Record<Verdict, number>>): void {
    for (const v of VERDICTS) this.lookups[v] += byVerdict[v];
    this.metrics.countLookups(byVerdict);
  }

  /** How many times `key` was asked in lookups (0 when never, or forgotten past maxTrackedKeys). */
  askedCount(key: string): number {
    return this.asked.get(key) ?? 0;
  }

  stats(): AdminStats {
    return {
      startedAt: this.startedAt.toISOString(),
      requests: { ...this.requests },
      lookups: { ...this.lookups },
      keysAsked: this.keysAsked,
      distinctKeys: this.asked.size,
      telemetryAccepted: this.telemetry.records,
      telemetryRequests: this.telemetry.requests,
      telemetryDuplicates: this.telemetry.duplicates,
      changes: this.feed.total,
      cursor: this.feed.cursor,
      changeFeedWaiting: this.feed.waiting,
      urgentPending: this.urgent.pending,
      urgentDetections: this.urgent.detections,
      faultsInjected: { ...this.faultsInjected },
    };
  }

  /**
   * Back to a fresh start: counters, faults (to their start-up values), manual
   * and urgent verdicts (reverts are published in the change feed, whose
   * cursor keeps counting), pending detections, telemetry kept.
   */
  reset(): void {
    this.startedAt = new Date();
    this.requests = zeros(ROUTES);
    this.lookups = zeros(VERDICTS);
    this.faultsInjected = zeros(FAULT_KINDS);
    this.keysAsked = 0;
    this.asked.clear();
    this.faults.reset();
    this.urgent.reset();
    this.book.reset();
    this.telemetry.reset();
  }

  close(): void {
    this.urgent.stop();
    this.feed.close();
  }

  /** The emulator's own API key is not test evidence; anything else is kept as received. */
  private redact(headers: IncomingHttpHeaders): IncomingHttpHeaders {
    if (this.settings.apiKey && headers.authorization === `Bearer ${this.settings.apiKey}`) {
      return { ...headers, authorization: 'Bearer [emulator API key]' };
    }
    return headers;
  }
}
