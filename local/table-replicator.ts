import { DynamoDbJsonApi } from '../lambda/adapters/dynamodb-json-api.ts';
import type { DecisionLog } from '../lambda/core/ports.ts';
import { LOCAL_CREDENTIALS } from './dynamodb-client.ts';
import type { TableWrite } from './dynamodb-write-tap.ts';
import type { OutageSwitch } from './loopback-http.ts';

/** A replica the home table's writes are applied to. */
export interface ReplicaTable {
  readonly region: string;
  /** `http://127.0.0.1:PORT` of the replica's own DynamoDB endpoint (dynalite). */
  readonly endpoint: string;
}

/** Options of {@link TableReplicator}. */
export interface TableReplicatorOptions {
  /** How long after the home table accepted a write it is applied to each replica. */
  readonly lagMs: number;
  readonly replicas: readonly ReplicaTable[];
  /** Wait between attempts while a replica cannot be written. @default 100 */
  readonly retryIntervalMs?: number;
  /** Deadline of one write to a replica. @default 2000 */
  readonly requestTimeoutMs?: number;
  /** Replica outages and recoveries, token-free. @default none */
  readonly log?: DecisionLog;
}

interface QueuedWrite {
  readonly write: TableWrite;
  readonly dueAtMs: number;
}

/** One replica's backlog: its own order, its own outage. */
class ReplicaQueue {
  readonly items: QueuedWrite[] = [];
  applied = 0;
  failing = false;
  running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  readonly replica: ReplicaTable;
  readonly api: DynamoDbJsonApi;

  constructor(replica: ReplicaTable) {
    this.replica = replica;
    // One attempt a call: the queue itself tries a failed write again, in order.
    this.api = new DynamoDbJsonApi({
      region: replica.region,
      endpoint: replica.endpoint,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  interrupt(): void {
    this.wake?.();
  }
}

/**
 * Replication of a global table, for the local stack: every write the home table accepted (as the
 * {@link startDynamoDbWriteTap} tap reports it) is applied to every other replica `lagMs` after it,
 * as written (a conditional write's condition was the home table's to check; a replica applies the
 * result), and in the order the home table accepted them, each replica on its own: a replica that
 * is down keeps its backlog and gets every write, in order, once it is back (a global table catches
 * an isolated replica up the same way). Paused (its {@link outage} switch), it applies nothing and
 * keeps recording; resumed, it applies the backlog, each write no earlier than its due time.
 *
 * DynamoDB itself keeps less order: items are replicated individually and partitions in parallel, so
 * writes to different items may arrive in another order; each item ends as its last write.
 */
export class TableReplicator {
  readonly lagMs: number;
  private readonly queues: ReadonlyMap<string, ReplicaQueue>;
  private readonly retryIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly log: DecisionLog | undefined;
  private pausedNow = false;
  private stopped = false;

  constructor(options: TableReplicatorOptions) {
    if (!Number.isFinite(options.lagMs) || options.lagMs < 0) throw new Error('lagMs must be 0 or more');
    this.lagMs = options.lagMs;
    this.queues = new Map(options.replicas.map((replica) => [replica.region, new ReplicaQueue(replica)]));
    this.retryIntervalMs = options.retryIntervalMs ?? 100;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2000;
    this.log = options.log;
  }

  /** Queues a write the home table accepted for every replica. */
  record(write: TableWrite): void {
    if (this.stopped) return;
    const dueAtMs = Date.now() + this.lagMs;
    for (const queue of this.queues.values()) {
      queue.items.push({ write, dueAtMs });
      this.run(queue);
    }
  }

  /** Pauses and resumes replication, as an outage switch: "down" applies nothing and keeps everything. */
  readonly outage: OutageSwitch = new PauseSwitch(this);

  /** Whether replication is paused. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Applies nothing from now on (a write already on its way to a replica lands) and keeps recording. */
  async pause(): Promise<void> {
    this.pausedNow = true;
    await this.settle();
  }

  /** Applies the backlog, each write no earlier than its due time, in order. */
  resume(): void {
    this.pausedNow = false;
    for (const queue of this.queues.values()) this.run(queue);
  }

  /** Writes not yet applied to `region`'s replica, or to any replica when no region is named. */
  pending(region?: string): number {
    const queues = region === undefined ? [...this.queues.values()] : [this.queues.get(region)];
    return queues.reduce((sum, queue) => sum + (queue?.items.length ?? 0), 0);
  }

  /** Writes applied to `region`'s replica so far. */
  applied(region: string): number {
    return this.queues.get(region)?.applied ?? 0;
  }

  /** Stops applying; what is still queued is dropped. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settle();
  }

  /** Wakes every sleeping queue and waits until none is running. */
  private async settle(): Promise<void> {
    for (const queue of this.queues.values()) queue.interrupt();
    await Promise.all([...this.queues.values()].map((queue) => queue.running));
  }

  private run(queue: ReplicaQueue): void {
    if (queue.running !== undefined) return;
    queue.running = this.drain(queue).finally(() => {
      queue.running = undefined;
    });
  }

  private async drain(queue: ReplicaQueue): Promise<void> {
    while (!this.stopped && !this.pausedNow) {
      const head = queue.items[0];
      if (head === undefined) return;
      const waitMs = head.dueAtMs - Date.now();
      if (waitMs > 0) {
        await queue.sleep(waitMs);
        continue;
      }
      try {
        await this.apply(queue, head.write);
        queue.items.shift();
        queue.applied++;
        if (queue.failing) {
          queue.failing = false;
          this.log?.info('replication resumed', { region: queue.replica.region, pending: queue.items.length });
        }
      } catch (error) {
        if (!queue.failing) {
          queue.failing = true;
          this.log?.warn('replication to a replica failed, retrying', {
            region: queue.replica.region,
            detail: error instanceof Error ? error.message.slice(0, 120) : 'unknown',
          });
        }
        await queue.sleep(this.retryIntervalMs);
      }
    }
  }

  /** One write on one replica: `PutItem` of the item or `DeleteItem` of the key, unconditional. */
  private async apply(queue: ReplicaQueue, write: TableWrite): Promise<void> {
    const operation = write.kind === 'put' ? 'PutItem' : 'DeleteItem';
    const body = JSON.stringify(
      write.kind === 'put'
        ? { TableName: write.tableName, Item: write.attributes }
        : { TableName: write.tableName, Key: write.attributes },
    );
    const outcome = await queue.api.call(operation, body, {
      timeoutMs: this.requestTimeoutMs,
      maxBodyBytes: 64 * 1024,
      idempotent: true,
    });
    if (!outcome.ok) throw new Error(`${operation} failed (${outcome.failure})`);
  }
}

/** A {@link TableReplicator}'s pause and resume as an {@link OutageSwitch}. */
class PauseSwitch implements OutageSwitch {
  private readonly replicator: TableReplicator;

  constructor(replicator: TableReplicator) {
    this.replicator = replicator;
  }

  get up(): boolean {
    return !this.replicator.paused;
  }

  interrupt(): Promise<void> {
    return this.replicator.pause();
  }

  async resume(): Promise<void> {
    this.replicator.resume();
  }
}
