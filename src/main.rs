use clap::Parser;
use datapm_registry::cli::Cli;
use datapm_registry::cli::user::UserCommandError;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let log_guard = datapm_registry::logging::init(cli.log_format);
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            drop(log_guard);
            eprintln!("error: {error:#}");
            let refusal = error.downcast_ref::<UserCommandError>();
            std::process::ExitCode::from(refusal.map_or(1, UserCommandError::exit_code))
        }
    }
}
