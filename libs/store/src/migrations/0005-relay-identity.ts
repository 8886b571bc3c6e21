import { generateKeyPair } from '@nrelay/protocol';
import { type Kysely, sql } from 'kysely';

/**
 * The relay's own identity (NIP-11 `self`): a key pair generated once per database, so every
 * gateway of a cluster shows the same pubkey and it survives restarts. The secret key stays in
 * the database for the events a relay may sign itself; RELAY_SELF overrides the pubkey shown.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { secretKey, pubkey } = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  await sql`insert into relay_settings (key, value, updated_at)
    values ('self', ${pubkey}, ${now}), ('self_secret_key', ${secretKey}, ${now})
    on conflict (key) do nothing`.execute(db);
}

/** Forgets the identity; the next `up` makes a new one. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from relay_settings where key in ('self', 'self_secret_key')`.execute(db);
}
