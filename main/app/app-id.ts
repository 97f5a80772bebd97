/** Folder main/app/: Electron shell: tray, windows, notifications, auto-start, engine process (settings/: the settings store). */

/** Must equal `appId` in electron-builder.yml (Windows toasts and taskbar pinning key on it); a test checks. */
export const APP_ID = 'com.tenantmirror.desktop';
export const PRODUCT_NAME = 'Tenant Mirror';
