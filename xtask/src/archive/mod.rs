//! Archives, in one place: the deterministic writers of the wheel, the sdist
//! and the installer zip ([`write`]), the one safe reader the gates use
//! ([`read`]), files that appear whole or not at all ([`atomic`]), and the
//! field-by-field differ of two builds ([`diff`]).

pub mod atomic;
pub mod diff;
pub mod read;
mod write;

pub use write::*;
