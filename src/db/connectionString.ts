/**
 * Connection strings carry passwords. Anything shown to a person or written to
 * evidence goes through `describeConnection`, never the raw string.
 */
export function describeConnection(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const database = url.pathname.replace(/^\//, '') || '(default)';
    return `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`;
  } catch {
    return '(unparseable connection string)';
  }
}

/** The same server, another database: used for scratch, staging and production databases. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Removes every connection string (and its password) from a text before it is shown or stored. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(/postgres(?:ql)?:\/\/[^\s'"]+/gi, (match) => `postgres://${describeConnection(match)}`);
  for (const secret of secrets) {
    if (secret.length >= 4) redacted = redacted.split(secret).join('[redacted]');
  }
  return redacted;
}
