import type { Command } from 'commander';
import { Database } from '../../db/database.js';
import { type ApiKeyInfo, apiKeyScopes, createApiKey, listApiKeys, revokeApiKey } from '../../shield/keys/apiKeys.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { type Output, printJson } from '../output.js';
import { uuid } from '../options.js';

interface KeysOptions {
  databaseUrlEnv: string;
  json?: boolean;
}

interface CreateOptions extends KeysOptions {
  organization: string;
  scope: string[];
  label?: string;
}

interface ListOptions extends KeysOptions {
  organization?: string;
}

const keysHelp = `
Keys are stored hashed in public.shield_api_keys (migration 026); the secret is shown once,
by create, and cannot be recovered. shield serve --api-keys accepts them: a key acts only
for its organization (403 otherwise) and only with its scopes (${apiKeyScopes.join(', ')}).
A revoked key stops working within the server's --key-cache-ms (5 s by default).

Exit codes:
  0  done
  2  bad flags, unknown organization or key id, migration 026 missing, connection variable not set
  5  the database refused or could not be reached

Example:
  shipcheck shield keys create --organization 7f0c…-… --scope actions:write --scope behaviours:read --label moderation-bot
  shipcheck shield keys list --organization 7f0c…-…
  shipcheck shield keys revoke 0123456789abcdef`;

/** Adds `shipcheck shield keys create|list|revoke`: the Shield API's organization-scoped keys. */
export function addShieldKeysCommand(shield: Command, context: CliContext): void {
  const keys = shield
    .command('keys')
    .description('create, list and revoke Shield API keys (migration 026)')
    .addHelpText('after', keysHelp);

  withConnection(
    keys
      .command('create')
      .description('create a key for one organization and print its secret once')
      .requiredOption('--organization <uuid>', 'the organization the key acts for', uuid('--organization'))
      .requiredOption('--scope <scope>', `what it may do, repeatable: ${apiKeyScopes.join(', ')}`, collect, [])
      .option('--label <text>', 'a name to recognise it by in the list (not secret)'),
  ).action(async (options: CreateOptions) =>
    withDatabase(context, options, 'create', async (db) => {
      const { token, key } = await createApiKey(db, {
        organizationId: options.organization,
        scopes: options.scope,
        ...(options.label !== undefined && { label: options.label }),
      });
      if (options.json) return printJson(context.output, { token, key });
      context.output.out(`API key ${key.id} for organization ${key.organizationId} (${key.scopes.join(', ')})`);
      context.output.out(`  secret  ${token}`);
      context.output.out('Store it now: it is shown only this once (the database keeps a SHA-256 of it).');
    }),
  );

  withConnection(
    keys
      .command('list')
      .description('list keys (never their secrets), newest first')
      .option('--organization <uuid>', 'only this organization', uuid('--organization')),
  ).action(async (options: ListOptions) =>
    withDatabase(context, options, 'list', async (db) => {
      const list = await listApiKeys(db, options.organization);
      if (options.json) return printJson(context.output, list);
      printKeys(context.output, list);
    }),
  );

  withConnection(
    keys
      .command('revoke')
      .description('revoke a key (idempotent)')
      .argument('<key-id>', 'the 16 hex characters after "shk_"'),
  ).action(async (keyId: string, options: KeysOptions) =>
    withDatabase(context, options, 'revoke', async (db) => {
      const key = await revokeApiKey(db, keyId);
      if (options.json) return printJson(context.output, key);
      context.output.out(`API key ${key.id} revoked at ${key.revokedAt}`);
    }),
  );
}

function withConnection(command: Command): Command {
  return command
    .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
    .option('--json', 'machine-readable output');
}

async function withDatabase(
  context: CliContext,
  options: KeysOptions,
  verb: string,
  work: (db: Database) => Promise<void>,
): Promise<void> {
  // Keys must outlive the command: no embedded fallback, as for verify-count.
  const db = Database.connect(connectionFromEnv(options.databaseUrlEnv, context.env), {
    max: 1,
    applicationName: `shipcheck shield keys ${verb}`,
  });
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

function printKeys(output: Output, list: readonly ApiKeyInfo[]): void {
  if (list.length === 0) {
    output.out('no API keys');
    return;
  }
  for (const key of list) {
    const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`;
    output.out(
      `${key.id}  ${key.organizationId}  ${key.scopes.join(',')}  ${state}  created ${key.createdAt}${key.label ? `  ${key.label}` : ''}`,
    );
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
