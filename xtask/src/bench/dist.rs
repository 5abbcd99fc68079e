//! `cargo xtask bench dist`.

use anyhow::Result;
use xshell::Shell;

use crate::flags;

pub fn run(_sh: &Shell, _cmd: &flags::BenchDist) -> Result<()> {
    Ok(())
}
