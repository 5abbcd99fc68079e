//! `cargo xtask bench ...`: timings of the xtask's commands against the tools
//! they replace. Each benchmark prints one table.

mod dist;

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Bench {
    pub fn run(self, sh: &Shell) -> Result<()> {
        match self {
            flags::Bench::Dist(cmd) => dist::run(sh, &cmd),
        }
    }
}
