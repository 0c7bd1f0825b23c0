import autocannon from 'autocannon';

/** The load generator: the autocannon runs under way, stopped when the bench is interrupted. */
const current = new Set<autocannon.Instance>();
let interrupted = false;

export function runLoad(options: autocannon.Options): Promise<autocannon.Result> {
  if (interrupted) return Promise.reject(new Error('interrupted'));
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: Error | null, result: autocannon.Result) => {
      current.delete(instance);
      if (error) reject(error);
      else if (interrupted) reject(new Error('interrupted'));
      else resolve(result);
    });
    current.add(instance);
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
  for (const instance of current) {
    try {
      instance.stop();
    } catch {
      /* it has stopped already */
    }
  }
}
