import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { command } from '../../src/api/command.js';
import { PUBLIC } from '../../src/auth/policy.js';
import { buildParams, flagOf } from '../../src/cli/params.js';

const create = command({
  path: 'bonafide/user/create',
  summary: 'test',
  params: Type.Object({ username: Type.String(), pass: Type.String(), uses: Type.Integer(), admin: Type.Boolean(), tags: Type.Array(Type.String()) }),
  result: Type.Null(),
  auth: PUBLIC,
  run: () => null,
});

describe('CLI params', () => {
  it('flags are kebab-case of the param names', () => {
    assert.equal(flagOf('invitecode'), '--invitecode');
    assert.equal(flagOf('loginToken'), '--login-token');
    assert.equal(flagOf('uses_left'), '--uses-left');
  });

  it('positional words fill params in order, typed by the schema; options win', () => {
    assert.deepEqual(buildParams(create, ['alice', 'pw', '3'], {}), { username: 'alice', pass: 'pw', uses: 3 });
    assert.deepEqual(buildParams(create, ['alice'], { pass: 'pw', admin: 'true', tags: '["a"]', uses: undefined }), {
      username: 'alice',
      pass: 'pw',
      admin: true,
      tags: ['a'],
    });
    assert.deepEqual(buildParams(create, ['alice'], { username: 'bob' }), { username: 'bob' });
  });

  it('refuses what cannot be typed, naming the param', () => {
    assert.throws(() => buildParams(create, [], { uses: 'many' }), /uses must be a number, got "many"/);
    assert.throws(() => buildParams(create, [], { admin: 'yes' }), /admin must be true or false/);
    assert.throws(() => buildParams(create, [], { tags: '[' }), /tags must be JSON/);
    assert.throws(() => buildParams(create, ['a', 'b', '1', 'true', '[]', 'extra'], {}), /takes at most 5 params/);
  });
});
