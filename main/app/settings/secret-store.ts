/**
 * Secrets (Kafka SASL password, replica password) are kept only as ciphertext, base64 in the settings
 * file, encrypted by an injected cipher: Electron's safeStorage async API in the app
 * (`safe-storage-cipher.ts`), a fake in tests. Nothing here logs or returns plaintext except `open`.
 */
import { MirrorError } from '../../engine/errors.ts';

export interface SecretCipher {
  /** safeStorage.isAsyncEncryptionAvailable() and a backend that really encrypts (not `basic_text`). */
  available(): Promise<boolean>;
  encrypt(plain: string): Promise<Uint8Array>;
  /** `reseal` is true when the key rotated and the value should be encrypted again. */
  decrypt(cipher: Uint8Array): Promise<{ value: string; reseal: boolean }>;
}

/** A secret as stored on disk. */
export interface SealedSecret { enc: string }

export const isSealed = (v: unknown): v is SealedSecret =>
  typeof v === 'object' && v !== null && typeof (v as { enc?: unknown }).enc === 'string';

export interface SecretStore {
  available(): Promise<boolean>;
  seal(plain: string): Promise<SealedSecret>;
  open(sealed: SealedSecret): Promise<{ value: string; reseal: boolean }>;
}

export function createSecretStore(cipher: SecretCipher): SecretStore {
  return {
    available: () => cipher.available(),
    async seal(plain) {
      if (!(await cipher.available())) {
        throw new MirrorError('CONFIG_INVALID', 'passwords cannot be stored encrypted on this system (no OS keyring); give them as { "env": "VAR" } instead', {
          detail: { fix: 'install/unlock a keyring, or reference an environment variable' },
        });
      }
      const bytes = await cipher.encrypt(plain);
      return { enc: Buffer.from(bytes).toString('base64') };
    },
    async open(sealed) {
      try {
        return await cipher.decrypt(Buffer.from(sealed.enc, 'base64'));
      } catch (err) {
        throw new MirrorError('CONFIG_INVALID', 'a stored password could not be decrypted (the OS keyring changed?); enter it again', { cause: err });
      }
    },
  };
}
