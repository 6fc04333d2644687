//! The `ijgate` binary: parses the command line, sets up logging, hands off to the library.

use clap::Parser;

fn main() {
    let cli = ijgate::cli::Cli::parse();
    if !ijgate::cli::keeps_sigpipe_ignored(&cli.command) {
        // A command whose output is piped into `head` stops quietly when the reader goes
        // (killed by SIGPIPE, exit 141 in the shell), as `ls` or `cat` do, instead of
        // panicking on EPIPE in println!. The daemon and the commands that talk to network
        // peers keep Rust's default (SIGPIPE ignored, EPIPE an error they handle).
        // SAFETY: called before any thread is started; SIG_DFL is always a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let format = cli.log_format.clone().unwrap_or_else(|| {
        // The config's choice when readable; logging must not depend on a valid config.
        ijgate::config::Config::parse_file(&ijgate::config::Config::locate(cli.config.as_deref()))
            .map(|c| c.daemon.log_format)
            .unwrap_or_else(|_| "human".into())
    });
    ijgate::logging::init(&format, cli.log_target);
    std::process::exit(ijgate::cli::run(cli));
}
