// The webhooks domain assembled from the config: address policy, sender, service and delivery worker.
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import type { MasterKeyring } from '../storage/encryption.js';
import type { AccessPolicy } from '../conferences/access-policy.js';
import { systemResolve, WebhookAddressPolicy, type Resolve } from './address-policy.js';
import { WebhookSender } from './sender.js';
import { WebhookService } from './service.js';
import { WebhookWorker, type DeliveryOptions } from './worker.js';

export interface WebhooksDomain {
  service: WebhookService;
  worker: WebhookWorker;
  sender: WebhookSender;
  addresses: WebhookAddressPolicy;
  /** Stops the worker (waiting for its round in progress) and drops the kept-alive connections. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhooksDomain;
  }
}

/** The delivery options of a config (seconds to milliseconds). */
export function deliveryOptions(c: Config['webhooks']): DeliveryOptions {
  return {
    timeoutMs: c.timeoutSeconds * 1000,
    retryBaseMs: c.retryBaseMs,
    retryWindowMs: c.retryWindowSeconds * 1000,
    disableAfterMs: c.disableAfterSeconds * 1000,
    concurrency: c.concurrency,
    pollIntervalMs: c.pollIntervalMs,
  };
}

export function createWebhooks(deps: {
  config: Config;
  db: Db;
  clock: Clock;
  keyring: MasterKeyring;
  access: AccessPolicy;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  resolve?: Resolve;
}): WebhooksDomain {
  const c = deps.config.webhooks;
  const addresses = new WebhookAddressPolicy({ allowHttp: c.allowHttp, allowedNetworks: c.allowedNetworks });
  const sender = new WebhookSender({ policy: addresses, resolve: deps.resolve ?? systemResolve, timeoutMs: c.timeoutSeconds * 1000 });
  const service = new WebhookService({ db: deps.db, clock: deps.clock, keyring: deps.keyring, access: deps.access, addresses });
  const worker = new WebhookWorker({ db: deps.db, clock: deps.clock, keyring: deps.keyring, sender, options: deliveryOptions(c), log: deps.log });
  return {
    service,
    worker,
    sender,
    addresses,
    async close() {
      await worker.stop();
      sender.close();
    },
  };
}
