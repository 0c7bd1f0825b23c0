import { Algorithm, hash, verify } from '@node-rs/argon2';
import { log } from '../settings';

/** Login is dominated by one argon2id verification: its cost alone, to read the login figures. */
export interface Argon2Figures {
  rounds: number;
  meanMs: number;
  p50Ms: number;
  verifiesPerSecPerCore: number;
}

/** argon2id verification alone, with the app's default parameters, sequentially in this process. */
export async function argon2Baseline(password: string, rounds = 20): Promise<Argon2Figures> {
  log('argon2id verify alone (m=19456, t=2, p=1), sequential');
  const hashed = await hash(password, {
    algorithm: Algorithm.Argon2id,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  await verify(hashed, password);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await verify(hashed, password);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    rounds,
    meanMs: mean,
    p50Ms: times[Math.floor(times.length / 2)],
    verifiesPerSecPerCore: 1000 / mean,
  };
}
