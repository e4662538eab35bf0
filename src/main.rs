use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread starts or any input is read: may start woolink again.
    woolink::find_session_bus();
    // One thread is plenty: the work is waiting on the network, and the few concurrent
    // requests are multiplexed on it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let code = runtime.block_on(woolink::run(std::env::args_os()));
    // A keychain call that timed out may still hold a thread of the blocking pool: it is left
    // behind to die with the process, not waited for.
    runtime.shutdown_background();
    ExitCode::from(code)
}
