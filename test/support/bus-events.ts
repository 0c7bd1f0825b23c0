import { z } from 'zod';
import { type BusEvent, createEvent } from '../../src/shared/bus/bus-event';
import { defineEvent } from '../../src/shared/bus/contract';

/**
 * An event of `type` with `data` as a module would publish it, for tests of what carries events
 * whatever they say (the outbox, the relay, the stores): its contract accepts any data.
 */
export function anyEvent<D>(type: string, data: D, key?: string): BusEvent<D> {
  const contract = defineEvent({
    name: type,
    owner: type.split('.')[0] ?? 'test',
    version: '1.0',
    summary: `a ${type} for a test`,
    data: z.custom<D>(() => true),
  });
  return createEvent(contract, data, key);
}
