import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBroadcast } from '../bus/bus-handler';
import { Revocations } from './revocations';
import { SessionsRevoked, type SessionsRevokedData } from './security.contract';

/** Hears the auth module's revocations: every process, every replica (a broadcast). */
@Controller()
export class RevocationsListener {
  constructor(private readonly revocations: Revocations) {}

  @OnBroadcast(SessionsRevoked)
  onRevoked(@Payload() event: SessionsRevokedData): void {
    this.revocations.apply(event.revocations);
  }
}
