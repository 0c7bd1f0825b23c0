import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeBus, MESSAGES } from '../../../src/cli/asyncapi/bus-description';
import { buildAsyncApi, messageId } from '../../../src/shared/bus/asyncapi/document';
import { CLOUDEVENTS_ENVELOPE } from '../../../src/shared/bus/asyncapi/envelope';
import { createEvent } from '../../../src/shared/bus/bus-event';
import { answerToUnreadable } from '../../../src/shared/bus/parking';
import { attributesOf, ParkedMessage } from '../../../src/shared/bus/reading';
import { UserRegistered, VerifyCredentials } from '../../../src/modules/user/user.contract';
import { SessionsRevoked } from '../../../src/shared/security/security.contract';
import { asyncApiProblems } from '../../support/compatibility/asyncapi-problems';
import { ROOT } from '../../support/paths';

const committed = JSON.parse(readFileSync(join(ROOT, 'asyncapi.json'), 'utf8')) as {
  components: { messages: Record<string, unknown> };
};

describe('the AsyncAPI document (asyncapi.json)', () => {
  it('is what the contract files declare now', () => {
    const generated: unknown = JSON.parse(JSON.stringify(buildAsyncApi(describeBus())));
    // On a deliberate change to a message: `npm run asyncapi`, and commit asyncapi.json.
    expect({ 'asyncapi.json (regenerate: npm run asyncapi)': committed }).toEqual({
      'asyncapi.json (regenerate: npm run asyncapi)': generated,
    });
  });

  it('is valid AsyncAPI 3.0 for @asyncapi/parser, without errors or warnings', async () => {
    // Errors and warnings (Spectral's AsyncAPI rules) fail; information and hints do not: the
    // only one is the advice to move to AsyncAPI 3.1, and this document is 3.0 on purpose
    // (the version @asyncapi/diff's standard classifies).
    expect(await asyncApiProblems(committed)).toEqual([]);
  });

  it('describes every message of the three contract lists, and each reply', () => {
    const ids = Object.keys(committed.components.messages);
    for (const contract of MESSAGES) expect(ids).toContain(messageId(contract));
    const requests = MESSAGES.filter((c) => c.kind === 'request').length;
    expect(ids).toHaveLength(MESSAGES.length + requests);
  });

  it('gives the envelope the code builds: events, requests, replies, errors, broadcasts', () => {
    const event = createEvent(UserRegistered, { userId: crypto.randomUUID(), roles: ['user'] });
    expect(() =>
      CLOUDEVENTS_ENVELOPE.event(UserRegistered).parse({ data: event, headers: {} }),
    ).not.toThrow();
    const request = {
      data: { email: 'a@b.c', password: 'p' },
      headers: attributesOf(VerifyCredentials),
    };
    expect(() => CLOUDEVENTS_ENVELOPE.request(VerifyCredentials).parse(request)).not.toThrow();
    const reply = {
      response: { user: null },
      ce: attributesOf(VerifyCredentials, { type: `${VerifyCredentials.name}.reply` }),
    };
    const refused = { err: answerToUnreadable('user.x', new ParkedMessage('not-json', 'x')) };
    expect(() => CLOUDEVENTS_ENVELOPE.reply(VerifyCredentials).parse(reply)).not.toThrow();
    expect(() => CLOUDEVENTS_ENVELOPE.reply(VerifyCredentials).parse(refused)).not.toThrow();
    const broadcast = { data: { revocations: [] }, headers: attributesOf(SessionsRevoked) };
    expect(() => CLOUDEVENTS_ENVELOPE.broadcast(SessionsRevoked).parse(broadcast)).not.toThrow();
  });
});
