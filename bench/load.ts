import autocannon from 'autocannon';

/** The load generator: one autocannon run at a time, stopped when the bench is interrupted. */
let current: autocannon.Instance | undefined;
let interrupted = false;

export function runLoad(options: autocannon.Options): Promise<autocannon.Result> {
  if (interrupted) return Promise.reject(new Error('interrupted'));
  return new Promise((resolve, reject) => {
    current = autocannon(options, (error: Error | null, result: autocannon.Result) => {
      current = undefined;
      if (error) reject(error);
      else if (interrupted) reject(new Error('interrupted'));
      else resolve(result);
    });
  });
}

/** Stops the load under way; every later run fails at once. */
export function interruptLoad(): void {
  interrupted = true;
  stopLoad();
}

export function isInterrupted(): boolean {
  return interrupted;
}

export function stopLoad(): void {
  try {
    current?.stop();
  } catch {
    /* it has stopped already */
  }
}
