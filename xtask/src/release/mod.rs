//! The release commands and what they share: the app's version and the
//! release identity (names of every artifact), git, the package index client
//! and the step-output file of GitHub Actions.

pub mod check_published;
pub mod check_version;
pub mod environments;
pub mod git;
pub mod github_output;
pub mod identity;
pub mod index;
pub mod preflight;
pub mod release_notes;
pub mod tag_release;
pub mod version;
