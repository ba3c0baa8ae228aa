/**
 * Encryption of appSecrets at rest (AES-256-GCM, Node's crypto). The signature rule needs each secret in
 * the clear at request time, so secrets cannot be hashed; they are sealed with a key the store never sees
 * (LIVE_CCV_SECRET_KEY). The setting is a key ring: comma-separated 32-byte keys (64 hex characters or
 * base64); the first seals, every one opens, so servers can hold the new and the old key while
 * `live-ccv secrets rotate-key` re-seals the stored secrets.
 *
 * A sealed value is `enc:v1:<key id>:<iv>:<ciphertext+tag>` (base64url), the key id being a hash prefix of
 * the key, never the key. The app id is the additional authenticated data: a sealed secret copied into
 * another app's row does not open. A value without the prefix is plaintext (no key was set when it was
 * written); it keeps working and is sealed at the next start with a key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

interface Key {
  id: string;
  bytes: Buffer;
}

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

const keyId = (bytes: Buffer) => createHash('sha256').update('live-ccv key id\0').update(bytes).digest('hex').slice(0, 8);

/** Why the setting is not a key ring, or undefined when it is one (empty included). Never quotes a key. */
export function keyRingProblem(setting: string): string | undefined {
  const parts = setting.split(',').map((p) => p.trim());
  if (setting.trim() === '') return undefined;
  for (const [i, p] of parts.entries()) {
    if (!decodeKey(p)) {
      return `key ${i + 1} of ${parts.length} is not 32 bytes as 64 hex characters or base64 (generate one with: live-ccv secrets generate-key)`;
    }
  }
  return undefined;
}

export class KeyRing {
  private constructor(private readonly keys: Key[]) {}

  /** Parses LIVE_CCV_SECRET_KEY; an empty setting is the empty ring (secrets stay plaintext). */
  static parse(setting: string): KeyRing {
    const problem = keyRingProblem(setting);
    if (problem) throw new SecretKeyError(`invalid LIVE_CCV_SECRET_KEY: ${problem}`);
    if (setting.trim() === '') return new KeyRing([]);
    const keys = setting.split(',').map((p) => {
      const bytes = decodeKey(p.trim())!;
      return { id: keyId(bytes), bytes };
    });
    return new KeyRing(keys);
  }

  /** A new random key in the setting's format. */
  static generate(): string {
    return randomBytes(32).toString('hex');
  }

  get empty(): boolean {
    return this.keys.length === 0;
  }

  /** The id of the key that seals, undefined when secrets are stored in plaintext. */
  get sealingKeyId(): string | undefined {
    return this.keys[0]?.id;
  }

  /** The value to store: sealed with the first key, or the plaintext itself when the ring is empty. */
  seal(plaintext: string, appId: string): string {
    const key = this.keys[0];
    if (!key) return plaintext;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
    cipher.setAAD(Buffer.from(appId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${key.id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  /** The plaintext of a stored value (plaintext values are returned as they are). */
  open(stored: string, appId: string): string {
    if (!isSealed(stored)) return stored;
    const [id, iv, body] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.find((k) => k.id === id);
    if (!key) {
      throw new SecretKeyError(
        `the appSecret of application ${appId} is sealed with key ${id}, which LIVE_CCV_SECRET_KEY does not hold` +
          (this.keys.length === 0 ? ' (it is empty)' : ` (it holds ${this.keys.map((k) => k.id).join(', ')})`),
      );
    }
    try {
      const raw = Buffer.from(body ?? '', 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv ?? '', 'base64url'));
      decipher.setAAD(Buffer.from(appId));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(0, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`the appSecret of application ${appId} does not open with key ${id}: altered or moved`);
    }
  }

  /** The id of the key a stored value is sealed with; undefined for plaintext. */
  static keyIdOf(stored: string): string | undefined {
    return isSealed(stored) ? stored.slice(PREFIX.length).split(':')[0] : undefined;
  }
}

export const isSealed = (stored: string) => stored.startsWith(PREFIX);
