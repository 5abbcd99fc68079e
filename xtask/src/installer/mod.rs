//! The installer: its folder plan, the install scripts' templates, the
//! front-end build cache, the checksum files of a release build and the
//! smoke test of the built installer.

pub mod build;
pub mod checksums;
pub mod frontend_cache;
pub mod reproducible;
pub mod smoke;
pub mod staging;
pub mod templates;
pub mod tree;
pub mod verify;
