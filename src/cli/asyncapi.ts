/**
 * Writes the committed AsyncAPI document from the contract files. Run after a deliberate change
 * to a message (a test fails while the two disagree):
 *
 *   npm run asyncapi                       asyncapi.json: this release's bus
 *   npm run asyncapi -- --release 0.1.0    releases/0.1.0/asyncapi.json: 0.1.0's, reconstructed
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildAsyncApi } from '../shared/bus/asyncapi/document';
import { describeBus, ROOT } from './asyncapi/bus-description';
import { describeRelease010 } from './asyncapi/release-0.1.0';

function main(argv: string[]): number {
  const release = argv[0] === '--release' ? argv[1] : undefined;
  if (argv.length > 0 && release !== '0.1.0') {
    process.stderr.write('usage: asyncapi [--release 0.1.0]\n');
    return 2;
  }
  const document = buildAsyncApi(release ? describeRelease010() : describeBus());
  const file = release
    ? join(ROOT, 'releases', release, 'asyncapi.json')
    : join(ROOT, 'asyncapi.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  const messages = Object.keys(document.components.messages).length;
  process.stdout.write(`${file} written (${messages} messages)\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
