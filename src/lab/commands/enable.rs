//! `enable` (asks `Password:` and checks the enable secret, three tries) and `disable`.

use crate::secret::Secret;

/// How many wrong secrets IOS takes before `% Bad secrets`.
pub const ATTEMPTS: usize = 3;

pub const PROMPT: &str = "Password: ";
pub const BAD_SECRETS: &str = "% Bad secrets";
pub const NO_PASSWORD: &str = "% No password set";

/// Whether what was typed at `Password:` is the router's enable secret.
pub fn accepts(secret: &Secret, typed: &str) -> bool {
    !secret.is_empty() && secret == &Secret::new(typed)
}
