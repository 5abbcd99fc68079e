//! Small helpers the commands share: parallel maps, child processes, HTTP,
//! HTML attribute scanning, hashing, credential masking and a seeded random
//! generator.

pub mod hash;
pub mod html;
pub mod http;
pub mod par;
pub mod process;
pub mod python;
pub mod redact;
pub mod rng;
pub mod toml_spans;
