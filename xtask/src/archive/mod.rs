//! Archives, in one place: the deterministic writers of the wheel, the sdist
//! and the installer zip ([`write`]), files that appear whole or not at all
//! ([`atomic`]), and the field-by-field differ of two builds ([`diff`]).

pub mod atomic;
pub mod diff;
mod write;

pub use write::*;
