/** An authenticator app, for the tests: the code it shows for a secret at a time. */
import { Secret, TOTP } from 'otpauth';

export const codeAt = (secret: string, ms: number) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: ms });
