//! `cargo xtask`: the release automation of InvokeAI.
//!
//! `main` parses the command line, opens one shell at the repository root and
//! hands the parsed arguments to the entry point of their command's module.

mod archive;
mod bench;
mod browser;
mod check;
mod config;
mod flags;
mod frontend;
mod installer;
mod openapi;
mod paths;
mod pydist;
mod release;
mod sbom;
mod setup;
mod test;
mod typegen;
mod util;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flags::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: flags::Cli) -> anyhow::Result<ExitCode> {
    paths::init_layout()?;
    let sh = paths::root_shell()?;
    match cli.command {
        flags::Command::Setup(cmd) => cmd.run(&sh)?,
        flags::Command::Frontend(cmd) => cmd.run(&sh)?,
        flags::Command::Test(cmd) => cmd.run(&sh)?,
        flags::Command::Openapi(cmd) => cmd.run(&sh)?,
        flags::Command::CheckVersion(cmd) => return cmd.run(&sh),
        flags::Command::TagRelease(cmd) => return cmd.run(&sh),
        flags::Command::CheckPublished(cmd) => return cmd.run(&sh),
        flags::Command::ReleaseNotes(cmd) => cmd.run(&sh)?,
        flags::Command::Preflight(cmd) => return cmd.run(&sh),
        flags::Command::Check(cmd) => return cmd.run(&sh),
        flags::Command::Dist(cmd) => return cmd.run(&sh),
        flags::Command::BuildInstaller(cmd) => cmd.run(&sh)?,
        flags::Command::Verify(cmd) => cmd.run(&sh)?,
        flags::Command::VerifyReproducible(cmd) => return cmd.run(&sh),
        flags::Command::SmokeTest(cmd) => cmd.run(&sh)?,
        flags::Command::Bench(cmd) => cmd.run(&sh)?,
    }
    Ok(ExitCode::SUCCESS)
}
