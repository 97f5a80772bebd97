/**
 * Settings as they cross to and from the renderer. Secrets never travel back: a secret the shell has
 * stored (encrypted) is shown as `{ stored: true }`, and sending that marker back means "keep it".
 * Pure TypeScript + zod: no node:*, no electron, no DOM.
 */
import { z } from 'zod';
import {
  postgresSchema, requiredSecret, SASL_PASSWORD_MESSAGE, saslSchema, secretSchema, settingsFieldsSchema, sqliteSchema, sqlserverSchema, tenantSchema, withSettingsRules,
} from './settings.ts';

export const storedSecretSchema = z.object({ stored: z.literal(true) }).strict();
export type StoredSecret = z.infer<typeof storedSecretSchema>;

/** A secret as the renderer may send it: a new literal, an env var name, or "keep the stored one". */
export const secretInputSchema = z.union([secretSchema, storedSecretSchema]);
export type SecretInput = z.infer<typeof secretInputSchema>;

export const tenantInputSchema = tenantSchema.extend({
  sasl: saslSchema.extend({ password: requiredSecret(secretInputSchema, SASL_PASSWORD_MESSAGE) }).optional(),
});
export const replicaInputSchema = z.discriminatedUnion('kind', [
  sqliteSchema,
  postgresSchema.extend({ password: secretInputSchema.optional() }),
  sqlserverSchema.extend({ password: secretInputSchema.optional() }),
]);
export const settingsInputSchema = withSettingsRules(settingsFieldsSchema.extend({
  tenant: tenantInputSchema,
  replica: replicaInputSchema,
}));

/** What `settings:save` and friends accept. */
export type SettingsWithSecretInputs = z.infer<typeof settingsInputSchema>;
export type TenantWithSecretInputs = z.infer<typeof tenantInputSchema>;
export type ReplicaWithSecretInputs = z.infer<typeof replicaInputSchema>;

/** What `settings:get` returns: literal secrets replaced by `{ stored: true }`; `{ env }` refs kept. */
export type PublicSecret = { env: string } | StoredSecret;
export type PublicSettings = Omit<SettingsWithSecretInputs, 'tenant' | 'replica'> & {
  tenant: Omit<TenantWithSecretInputs, 'sasl'> & {
    sasl?: Omit<NonNullable<TenantWithSecretInputs['sasl']>, 'password'> & { password: PublicSecret };
  };
  replica: PublicReplica;
};
type PublicReplica = ReplicaWithSecretInputs extends infer R
  ? R extends { password?: unknown } ? Omit<R, 'password'> & { password?: PublicSecret } : R
  : never;

/** Returns a copy with every literal secret replaced by the stored marker. Pure. */
export function redactSecrets(s: SettingsWithSecretInputs): PublicSettings {
  const hide = (p: SecretInput): PublicSecret => (typeof p === 'string' ? { stored: true } : 'env' in p ? { env: p.env } : p);
  const tenant = { ...s.tenant, ...(s.tenant.sasl ? { sasl: { ...s.tenant.sasl, password: hide(s.tenant.sasl.password) } } : {}) };
  const replica = s.replica.kind === 'sqlite' || s.replica.password === undefined
    ? { ...s.replica }
    : { ...s.replica, password: hide(s.replica.password) };
  return { ...s, tenant, replica } as PublicSettings;
}
