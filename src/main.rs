//! The `ijgate` binary: parses the command line, sets up logging, hands off to the library.

use clap::Parser;

fn main() {
    let cli = ijgate::cli::Cli::parse();
    let format = cli.log_format.clone().unwrap_or_else(|| {
        // The config's choice when readable; logging must not depend on a valid config.
        ijgate::config::Config::parse_file(&ijgate::config::Config::locate(cli.config.as_deref()))
            .map(|c| c.daemon.log_format)
            .unwrap_or_else(|_| "human".into())
    });
    ijgate::logging::init(&format, cli.log_target);
    std::process::exit(ijgate::cli::run(cli));
}
