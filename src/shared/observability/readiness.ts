import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void>;

/**
 * What `/ready` checks: each loaded module registers its own dependencies, so a process
 * reports only on what it uses.
 */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): Array<[string, ReadinessCheck]> {
    return [...this.checks];
  }

  /** From now on `/ready` answers 503, whatever the dependencies say. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  beforeApplicationShutdown(): void {
    this.beginShutdown();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
