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

  it("once the owner is known, the token is the owner's account, answered synchronously (no store round trip)", () => {
    const owner = { id: 'acct-1', username: 'olga' };
    let asked = 0;
    const withOwner = new Map([['global' as const, globalTokenResolver(token, () => (asked++, owner))]]);
    const p = resolvePrincipal(withOwner, ['global'], { 'x-hearth-auth': token }, { https: false });
    assert.ok(!(p instanceof Promise), 'no promise on the hot path');
    assert.deepEqual([p?.account, p?.role, p?.owner, p?.credential.kind], [owner, 'maintainer', true, 'global']);
    // The same frozen principal each time: nothing is built per request.
    assert.equal(resolvePrincipal(withOwner, ['global'], { 'x-hearth-auth': token }, { https: false }), p);
    assert.equal(asked, 2);
  });

  it('while no owner exists, the token belongs to no account (and waits for the lookup when there is one)', async () => {
    const pending = new Map([['global' as const, globalTokenResolver(token, async () => null)]]);
    const p = await resolvePrincipal(pending, ['global'], { 'x-hearth-auth': token }, { https: false });
    assert.deepEqual([p?.account, p?.owner], [null, true]);
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
