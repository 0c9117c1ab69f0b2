/** A request ran past the API's request timeout; answered 503 with Retry-After. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request took longer than ${timeoutMs} ms`);
  }
}

/**
 * Settles with `work`, or rejects with RequestTimeoutError after `timeoutMs`. The work
 * itself goes on (a query cannot be taken back mid-flight): statement_timeout and
 * lock_timeout on the API's connections are what bound it and free the connection.
 */
export async function withinDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RequestTimeoutError(timeoutMs)), timeoutMs);
  });
  // A late failure after the deadline has answered must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
