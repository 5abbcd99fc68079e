//! `cargo xtask bench <what>`: benchmarks, each printing its figures in one run.

mod build;
mod check;
mod dist;
mod dist_memory;

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Bench {
    pub fn run(self, sh: &Shell) -> Result<()> {
        match self {
            flags::Bench::Check(cmd) => cmd.run(sh),
            flags::Bench::Dist(cmd) => dist::run(sh, &cmd),
            flags::Bench::Build(cmd) => build::run(sh, &cmd),
            flags::Bench::DistMemory(cmd) => dist_memory::run(&cmd),
        }
    }
}
