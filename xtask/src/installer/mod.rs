//! The installer: its folder plan, the install scripts' templates, the
//! front-end build cache and the checksum files of a release build.

pub mod archive_diff;
pub mod build;
pub mod checksums;
pub mod frontend_cache;
pub mod reproducible;
pub mod staging;
pub mod templates;
pub mod verify;
