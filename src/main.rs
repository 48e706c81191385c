use std::process::ExitCode;

fn main() -> ExitCode {
    personac::cli::run(std::env::args_os())
}
