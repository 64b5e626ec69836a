import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorize, need, needMinting, PUBLIC } from '../../src/auth/policy.js';
import type { Principal } from '../../src/auth/principal.js';
import { globalTokenResolver, resolvePrincipal } from '../../src/http/authenticate.js';
import { ROLES, roleCovers, type Role } from '../../src/auth/roles.js';
import { randomToken } from '../../src/auth/secrets.js';
import { HearthError } from '../../src/kernel/errors.js';

const principal = (role: Role, accountId = 'a1'): Principal => ({
  credential: { kind: 'global', id: 'x' },
  account: { id: accountId, username: 'alice' },
  role,
  owner: false,
});

describe('roles and policy', () => {
  it('roles nest: consumer ⊆ creator ⊆ auditor ⊆ maintainer', () => {
    for (const [i, held] of ROLES.entries()) {
      for (const [j, needed] of ROLES.entries()) assert.equal(roleCovers(held, needed), i >= j, `${held} covers ${needed}`);
    }
  });

  it('no principal → user:noAuth (401); too little role → forbidden (403); enough → allowed', () => {
    assert.throws(
      () => authorize(null, need('consumer')),
      (e: HearthError) => e.code === 'user:noAuth' && e.status === 401,
    );
    assert.throws(
      () => authorize(principal('creator'), need('auditor')),
      (e: HearthError) => e.code === 'forbidden' && e.status === 403,
    );
    assert.doesNotThrow(() => authorize(principal('auditor'), need('auditor')));
    assert.doesNotThrow(() => authorize(null, PUBLIC));
  });

  it('a route that mints credentials refuses role tokens, whatever their role', () => {
    const roleToken: Principal = { credential: { kind: 'role', id: 'j1' }, account: null, role: 'maintainer', owner: false };
    assert.throws(
      () => authorize(roleToken, needMinting('consumer')),
      (e: unknown) => e instanceof HearthError && e.code === 'forbidden',
    );
    assert.doesNotThrow(() => authorize(roleToken, need('maintainer')));
    assert.doesNotThrow(() => authorize(principal('consumer'), needMinting('consumer')));
  });
});

describe('global token resolver', () => {
  const token = randomToken();
  const resolvers = new Map([['global' as const, globalTokenResolver(token)]]);

  it('the right token is the owner, a maintainer', async () => {
    const p = await resolvePrincipal(resolvers, ['global'], { 'x-hearth-auth': token }, { https: false });
    assert.equal(p?.owner, true);
    assert.equal(p?.role, 'maintainer');
  });

  it('no header → nobody; a wrong one → user:badAuth, even one differing in the last character', async () => {
    assert.equal(await resolvePrincipal(resolvers, ['global'], {}, { https: false }), null);
    const wrong = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    assert.throws(
      () => resolvePrincipal(resolvers, ['global'], { 'x-hearth-auth': wrong }, { https: false }),
      (e: HearthError) => e.code === 'user:badAuth',
    );
    assert.throws(
      () => resolvePrincipal(resolvers, ['global'], { 'x-hearth-auth': '' }, { https: false }),
      (e: HearthError) => e.code === 'user:badAuth',
    );
  });
});
