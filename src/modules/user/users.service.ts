import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { createEvent } from '../../shared/bus/bus-event';
import { Unauthenticated } from '../../shared/http/domain-error';
import { decodeCursor, Page, toPage } from '../../shared/http/pagination';
import { isAdmin } from '../../shared/security/auth.guard';
import type { Principal, Role } from '../../shared/security/security.contract';
import { toUserDto, UserDto } from './http/user.dto';
import type { ChangePasswordDto, CreateUserDto } from './http/user-requests.dto';
import { PasswordHasher } from './password-hasher';
import { normalizeEmail, UsersRepository } from './persistence/users.repository';
import { USER_EVENTS, UserAccountEventData, UserRegisteredData } from './user.contract';
import { UserNotFound, WrongPassword } from './user.errors';
import { failpoint } from '../../shared/resilience/failpoints';

/** The user module's use cases. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private readonly logger = new Logger(UsersService.name);

  async register(input: CreateUserDto, roles: Role[] = ['user']): Promise<UserDto> {
    const now = new Date();
    const row = {
      id: randomUUID(),
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      passwordHash: await this.hasher.hash(input.password),
      roles,
      ordersTotal: 0,
      ordersOpen: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.users.insert(row, [
      createEvent<UserRegisteredData>(USER_EVENTS.registered, { userId: row.id, roles }, row.id),
    ]);
    return toUserDto(row);
  }

  /** The caller's own account; a deleted account is no longer authenticated. */
  async me(principal: Principal): Promise<UserDto> {
    failpoint('user.me');
    const row = await this.users.findById(principal.userId);
    if (!row) throw new Unauthenticated();
    return toUserDto(row);
  }

  async rename(principal: Principal, name: string): Promise<UserDto> {
    const row = await this.users.update(principal.userId, { name });
    if (!row) throw new Unauthenticated();
    return toUserDto(row);
  }

  async changePassword(principal: Principal, input: ChangePasswordDto): Promise<void> {
    const row = await this.users.findById(principal.userId);
    if (!row) throw new Unauthenticated();
    if (!(await this.hasher.verify(row.passwordHash, input.currentPassword))) {
      throw new WrongPassword();
    }
    const passwordHash = await this.hasher.hash(input.newPassword);
    const event = createEvent<UserAccountEventData>(
      USER_EVENTS.passwordChanged,
      { userId: row.id },
      row.id,
    );
    if (!(await this.users.update(row.id, { passwordHash }, [event]))) throw new Unauthenticated();
    await this.effectsSettled(event.id);
  }

  async deleteAccount(principal: Principal): Promise<void> {
    const event = createEvent<UserAccountEventData>(
      USER_EVENTS.deleted,
      { userId: principal.userId },
      principal.userId,
    );
    if (!(await this.users.delete(principal.userId, [event]))) throw new Unauthenticated();
    await this.effectsSettled(event.id);
  }

  /**
   * API.md promises the effects (sessions revoked, open orders cancelled) with the 204, so wait
   * for the event's delivery, bounded by the bus timeout. The change is committed either way and
   * the event stays queued until delivered.
   */
  private async effectsSettled(eventId: string): Promise<void> {
    if (!(await this.users.delivered(eventId, this.config.BUS_TIMEOUT_MS))) {
      this.logger.warn(`effects of event ${eventId} not yet delivered; answering anyway`);
    }
  }

  /** Self or admin; anyone else gets 404 so existence is not revealed. */
  async get(principal: Principal, id: string): Promise<UserDto> {
    if (id !== principal.userId && !isAdmin(principal)) throw new UserNotFound();
    const row = await this.users.findById(id);
    if (!row) throw new UserNotFound();
    return toUserDto(row);
  }

  async list(limit: number, cursor?: string): Promise<Page<UserDto>> {
    const rows = await this.users.list(limit + 1, decodeCursor(cursor));
    return toPage(rows, limit, toUserDto);
  }
}
