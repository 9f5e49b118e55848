//! Where a new password comes from: a prompt, standard input, or the random generator.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use rand::Rng;

use super::invalid;
use crate::domain::values::Password;

/// Characters in a generated password: far past the 16 at which the rules stop asking for a
/// digit or symbol, and about 143 bits of randomness.
const GENERATED_LENGTH: usize = 24;

/// A new password: the first line of standard input with `--password-stdin`, else asked twice
/// when standard input is a terminal. `None` when there is neither.
pub(super) fn read_new(from_stdin: bool) -> anyhow::Result<Option<Password>> {
    if from_stdin {
        return read_stdin_line().map(Some);
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    prompt_twice().map(Some)
}

/// A random password of letters and digits, which meets the rules and is safe to paste in a
/// shell.
pub(super) fn generate() -> Password {
    let text: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(GENERATED_LENGTH)
        .map(char::from)
        .collect();
    Password::parse(&text).expect("24 letters and digits meet the password rules")
}

/// The first line of standard input without its line ending; nothing else is trimmed, as a
/// password may start or end with a space.
fn read_stdin_line() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(Password::parse(line).map_err(invalid("password"))?)
}

/// Asks on the terminal without echo, checks the rules, then asks again to catch a typo.
fn prompt_twice() -> anyhow::Result<Password> {
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let password = Password::parse(&first).map_err(invalid("password"))?;
    let second =
        rpassword::prompt_password("Repeat the password: ").context("cannot read the password")?;
    if second != first {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_rules_and_differ() {
        let first = generate();
        let second = generate();
        assert_eq!(first.as_str().chars().count(), GENERATED_LENGTH);
        assert!(first.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, second);
    }
}
