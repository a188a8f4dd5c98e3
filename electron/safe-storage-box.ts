import { safeStorage } from 'electron';
import type { SecretBox } from './inventory/secret-box';

/** BMC passwords sealed by the OS keyring (Keychain, DPAPI, libsecret/kwallet) through Electron. */
export function safeStorageBox(): SecretBox {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new Error(
      'The system keyring is not available, so BMC passwords cannot be stored safely. Unlock or install a keyring (gnome-keyring or kwallet), or use "npm run serve".',
    );
  }
  return {
    scheme: `electron-safe-storage`,
    seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
