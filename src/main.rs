fn main() -> std::process::ExitCode {
    circles::cli::main()
}
