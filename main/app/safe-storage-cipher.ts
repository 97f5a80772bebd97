/**
 * SecretCipher over Electron's safeStorage **async** API (the sync one is deprecated in 45, removed
 * in 46). Type-only electron import: main passes `safeStorage` in.
 */
import type { SafeStorage } from 'electron';
import type { SecretCipher } from './settings/secret-store.ts';

export function createSafeStorageCipher(safeStorage: SafeStorage, platform: NodeJS.Platform): SecretCipher {
  return {
    async available() {
      if (!(await safeStorage.isAsyncEncryptionAvailable())) return false;
      // On Linux without a keyring the backend is basic_text: effectively plaintext. Refuse it.
      return platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
    },
    encrypt: async (plain) => safeStorage.encryptStringAsync(plain),
    async decrypt(cipher) {
      const r = await safeStorage.decryptStringAsync(Buffer.from(cipher));
      return { value: r.result, reseal: r.shouldReEncrypt };
    },
  };
}
