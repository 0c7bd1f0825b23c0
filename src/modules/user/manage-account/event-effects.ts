import { Inject, Injectable, Logger } from '@nestjs/common';
import { BUS_CONFIG, type BusConfig } from '../../../shared/config/app-config';
import { UserRepository } from '../persistence/user-repository';

/**
 * API.md promises an account change's effects (sessions revoked, open orders cancelled) with
 * its 204, so the use case waits for its event's delivery, bounded by BUS_TIMEOUT_MS. The change
 * is committed either way and the event stays queued until delivered.
 */
@Injectable()
export class EventEffects {
  private readonly logger = new Logger('users');

  constructor(
    private readonly users: UserRepository,
    @Inject(BUS_CONFIG) private readonly config: BusConfig,
  ) {}

  async settled(eventId: string): Promise<void> {
    if (!(await this.users.delivered(eventId, this.config.timeoutMs))) {
      this.logger.warn(`effects of event ${eventId} not yet delivered; answering anyway`);
    }
  }
}
