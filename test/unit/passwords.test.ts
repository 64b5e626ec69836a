import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { HASHING_SLOTS, hashPassword, verifyPassword } from '../../src/auth/passwords.js';

/** This process's threads and their nice values (Linux), from /proc. */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('password hashing', () => {
  it('argon2id hashes verify with the right password only; an unknown user (no hash) never verifies', async () => {
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(hash, 'correct horse battery'), true);
    assert.equal(await verifyPassword(hash, 'correct horse batterz'), false);
    assert.equal(await verifyPassword(null, 'correct horse battery'), false);
    assert.equal(await verifyPassword('$argon2id$garbage', 'correct horse battery'), false);
  });

  it('a bcrypt admin hash made elsewhere verifies', async () => {
    const { hash } = await import('@node-rs/bcrypt');
    const bcrypt = await hash('admin-password', 4);
    assert.equal(await verifyPassword(bcrypt, 'admin-password'), true);
    assert.equal(await verifyPassword(bcrypt, 'admin-passwore'), false);
  });

  it(
    'a burst runs on at most CPUs−1 (≤ 4) threads, on threads at a lower priority, and every answer comes back',
    { skip: process.platform !== 'linux' && 'nice values are per thread on Linux only' },
    async () => {
      const hash = await hashPassword('burst-password');
      const burst = HASHING_SLOTS * 2 + 2;
      const answers = await Promise.all(Array.from({ length: burst }, (_, i) => verifyPassword(hash, i % 2 ? 'burst-password' : 'wrong-password')));
      assert.deepEqual(
        answers,
        Array.from({ length: burst }, (_, i) => i % 2 === 1),
      );
      // The pool is made of the threads this burst needed: as many as CPUs−1, and no more.
      assert.equal(HASHING_SLOTS, Math.min(4, Math.max(1, availableParallelism() - 1)));
      assert.equal(threadNices().filter((n) => n === 10).length, HASHING_SLOTS);
      assert.equal(threadNices()[0], 0, 'the main thread keeps its priority');
    },
  );
});
