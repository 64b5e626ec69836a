/**
 * The fields of a new account and of a new password, one definition for every form that asks for
 * them: the first run, sign-up, a maintainer's "Create an account", recovery and "Change password".
 */
import { useState } from 'preact/hooks';
import { Field } from './ui';

/** The rule `bonafide/user/create` enforces, in words. */
const USERNAME_HINT = '2–31 characters: a–z, 0–9 and _, not starting with a digit.';
const PASSWORD_MIN = 8;

/** A new password, typed twice where the form confirms it. */
export function usePasswordPair() {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  return {
    password,
    setPassword,
    again,
    setAgain,
    differ: password !== again,
    clear: () => (setPassword(''), setAgain('')),
  };
}
export type PasswordPair = ReturnType<typeof usePasswordPair>;

/** "Password" and "Password, again" (or "New password…"); `confirm: false` for a password set for someone else. */
export function PasswordFields(props: { pair: PasswordPair; label?: string; name?: string; confirm?: boolean }) {
  const label = props.label ?? 'Password';
  const name = props.name ?? 'password';
  return (
    <>
      <Field
        label={label}
        hint={`At least ${PASSWORD_MIN} characters.`}
        type="password"
        value={props.pair.password}
        onInput={props.pair.setPassword}
        autocomplete="new-password"
        required
        minLength={PASSWORD_MIN}
        name={name}
      />
      {props.confirm !== false && (
        <Field
          label={`${label}, again`}
          type="password"
          value={props.pair.again}
          onInput={props.pair.setAgain}
          autocomplete="new-password"
          required
          minLength={PASSWORD_MIN}
          name={`${name}2`}
        />
      )}
    </>
  );
}

/** A new account's username, full name and password. */
export function useNewAccount() {
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const pair = usePasswordPair();
  return {
    username,
    setUsername,
    fullName,
    setFullName,
    pair,
    /** The fields of `bonafide/user/create` these hold. */
    body: () => ({ username, pass: pair.password, ...(fullName ? { full_name: fullName } : {}) }),
    clear: () => (setUsername(''), setFullName(''), pair.clear()),
  };
}
export type NewAccount = ReturnType<typeof useNewAccount>;

/**
 * The fields for a new account. `forSomeoneElse`: a maintainer making an account for another
 * person (no autofill of the maintainer's own name, the password typed once, no autofocus).
 */
export function NewAccountFields(props: { account: NewAccount; fullNameHint?: string; forSomeoneElse?: boolean }) {
  const { account, forSomeoneElse = false } = props;
  const prefix = forSomeoneElse ? 'new-' : '';
  return (
    <>
      <Field
        label="Username"
        hint={USERNAME_HINT}
        value={account.username}
        onInput={account.setUsername}
        autocomplete={forSomeoneElse ? 'off' : 'username'}
        required
        autofocus={!forSomeoneElse}
        name={`${prefix}username`}
      />
      <Field
        label="Full name"
        hint={props.fullNameHint ?? 'Optional.'}
        value={account.fullName}
        onInput={account.setFullName}
        autocomplete={forSomeoneElse ? 'off' : 'name'}
        name={`${prefix}full_name`}
      />
      <PasswordFields pair={account.pair} name={`${prefix}password`} confirm={!forSomeoneElse} />
    </>
  );
}
