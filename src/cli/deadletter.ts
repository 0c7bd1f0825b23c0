/**
 * Operator command for events that NATS handlers gave up on (TRANSPORT=nats):
 *
 *   npm run deadletter -- list                  dead letters, as JSON lines
 *   npm run deadletter -- replay [seq ...]      published again: all, or these dead-letter seqs
 *
 * A replayed event goes back to its subject, so every handler of it sees it again; those that
 * handled it already skip it (their inbox), the one that failed gets another chance. It reads
 * NATS_URL and NATS_NAMESPACE like the app; replayed dead letters are removed.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { natsNames } from '../shared/bus/nats/nats-link';
import { loadConfig } from '../shared/config/config';

interface DeadLetter {
  seq: number;
  consumer: string;
  subject: string;
  error: string;
  eventId?: string;
  type?: string;
  data: Uint8Array;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'replay') {
    process.stderr.write('usage: deadletter list | deadletter replay [seq ...]\n');
    return 2;
  }
  const bus = loadConfig().bus;
  const names = natsNames(bus.nats.namespace);
  const nc = await connect({
    servers: bus.nats.url,
    timeout: bus.timeoutMs,
    maxReconnectAttempts: 0,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: bus.timeoutMs });
    const letters: DeadLetter[] = [];
    const info = await jsm.streams.info(names.deadLetterStream).catch(() => undefined);
    for (let seq = info?.state.first_seq ?? 1; info && seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(names.deadLetterStream, { seq }).catch(() => null);
      if (!msg) continue;
      const event = (
        JSON.parse(new TextDecoder().decode(msg.data)) as { data?: { id?: string; type?: string } }
      ).data;
      letters.push({
        seq,
        consumer: msg.header.get('Cleave-Consumer'),
        subject: msg.header.get('Cleave-Original-Subject'),
        error: msg.header.get('Cleave-Error'),
        eventId: event?.id,
        type: event?.type,
        data: msg.data,
      });
    }
    if (command === 'list') {
      for (const { data: _data, ...letter } of letters)
        process.stdout.write(`${JSON.stringify(letter)}\n`);
      return 0;
    }
    const wanted = new Set(rest.map(Number));
    const js = jetstream(nc, { timeout: bus.timeoutMs });
    let replayed = 0;
    for (const letter of letters.filter((l) => wanted.size === 0 || wanted.has(l.seq))) {
      const h = headers();
      h.set('Cleave-Replay-Of', String(letter.seq));
      await js.publish(letter.subject, letter.data, {
        headers: h,
        msgID: `${letter.eventId ?? 'event'}:replay:${letter.seq}`,
      });
      await jsm.streams.deleteMessage(names.deadLetterStream, letter.seq);
      replayed += 1;
    }
    process.stdout.write(`${replayed} dead letter(s) replayed\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`deadletter: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
