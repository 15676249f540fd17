/**
 * The run-time half of "authorize twice": who may use a command, decided from the
 * configured operator users/roles and viewer roles (Discord's default member permissions
 * are the other half, and a server admin can override those).
 */
import type { Permission } from '../commands/types.js';

export interface AccessRules {
  readonly operatorUserIds: readonly string[];
  readonly operatorRoleIds: readonly string[];
  /** When empty, read commands are for operators only. */
  readonly viewerRoleIds: readonly string[];
}

export interface Requester {
  readonly userId: string;
  /** null outside a server (a DM). */
  readonly guildId: string | null;
  readonly roleIds: readonly string[];
}

export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export function isOperator(rules: AccessRules, who: Requester): boolean {
  return rules.operatorUserIds.includes(who.userId) || who.roleIds.some((r) => rules.operatorRoleIds.includes(r));
}

export function decideAccess(rules: AccessRules, who: Requester, needed: Permission): AccessDecision {
  if (who.guildId === null) return { allowed: false, reason: 'not allowed: commands work in the server, not in direct messages' };
  if (isOperator(rules, who)) return { allowed: true };
  if (needed === 'operator') return { allowed: false, reason: 'not allowed: operators only' };
  if (rules.viewerRoleIds.length === 0) return { allowed: false, reason: 'not allowed: operators only (no viewer roles are configured)' };
  if (who.roleIds.some((r) => rules.viewerRoleIds.includes(r))) return { allowed: true };
  return { allowed: false, reason: 'not allowed: viewers and operators only' };
}
