/** The tenant's topic names (the product's source contract). */
export interface TenantTopics { cdc: string; schemaHistory: string; signal: string; notifications: string }

export function tenantTopics(ctx: string): TenantTopics {
  return { cdc: `${ctx}-cdc`, schemaHistory: `${ctx}-schemahistory`, signal: `${ctx}-signal`, notifications: `${ctx}-notifications` };
}
