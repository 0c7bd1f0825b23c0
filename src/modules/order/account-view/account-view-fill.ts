import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '../../../shared/bus/bus';
import { ServiceUnavailable } from '../../../shared/kernel/domain-error';
import { ACCOUNT_VIEW_CONSUMERS } from './account-events.handler';

const CONSUMERS = new Set<string>(Object.values(ACCOUNT_VIEW_CONSUMERS));
const POLL_MS = 250;

/**
 * Whether the account view has caught up with the user module's events since this process
 * started: `/ready` waits for it, so a process with an empty view (a new install, or the first
 * start of this release) serves orders only once the view holds what the stream kept. It asks
 * the transport, never the user module: NATS says how many events its consumers still have to
 * handle; in one process (the local transport) events are handled as they are published.
 */
@Injectable()
export class AccountViewFill implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('account-view');
  private filled = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bus: Bus) {}

  onApplicationBootstrap(): void {
    void this.check();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  /** For readiness. */
  ready(): Promise<void> {
    if (this.filled) return Promise.resolve();
    return Promise.reject(new ServiceUnavailable('The account view'));
  }

  private async check(): Promise<void> {
    try {
      // Not yet delivered; what is in hand (ack pending) is being applied now.
      const behind = (await this.bus.lag())
        .filter((lag) => CONSUMERS.has(lag.consumer))
        .reduce((sum, lag) => sum + lag.pending, 0);
      if (behind === 0) {
        this.filled = true;
        this.logger.log('the account view has caught up with the user module’s events');
        return;
      }
    } catch {
      // NATS is away: readiness says so on its own; look again.
    }
    this.timer = setTimeout(() => void this.check(), POLL_MS);
    this.timer.unref();
  }
}
