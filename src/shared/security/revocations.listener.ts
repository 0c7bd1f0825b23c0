import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Revocations } from './revocations';
import { SECURITY_EVENTS, type SessionsRevoked } from './security.contract';

/** Hears the auth module's revocations: every process, every replica (a broadcast). */
@Controller()
export class RevocationsListener {
  constructor(private readonly revocations: Revocations) {}

  @EventPattern(SECURITY_EVENTS.sessionsRevoked, { broadcast: true })
  onRevoked(@Payload() event: SessionsRevoked): void {
    this.revocations.apply(Array.isArray(event?.revocations) ? event.revocations : []);
  }
}
