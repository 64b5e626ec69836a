/** The two answers every client asks for first, apart from the service so they load with the command definitions. */
import type { Principal } from '../../auth/principal.js';
import { API_VERSION, VERSION_CORE } from '../../kernel/version.js';

export function version() {
  return { version_core: VERSION_CORE, api_version: API_VERSION };
}

export function whoami(principal: Principal) {
  return {
    credential: principal.credential.kind,
    credential_id: principal.credential.id,
    account: principal.account?.username ?? null,
    role: principal.role,
    owner: principal.owner,
  };
}
